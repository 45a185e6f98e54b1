#!/usr/bin/env bash
# TLS for NATS in compose: a private CA and one server certificate for every NATS node (nats, nats-2, nats-3; also
# localhost), made with openssl on the host by prepare-host.sh. Made once and kept while valid; a server certificate
# that expires within 30 days, lacks a node's name or was not signed by the CA on disk is made again under the same CA
# (run this script, then `docker compose restart nats` — docs/operations.md). Layout (DIR, default var/nats-tls):
#   DIR/ca.key, DIR/ca.crt             the CA; its key never leaves the host (nothing mounts DIR itself)
#   DIR/server/{server.crt,server.key,ca.crt}
#                                       mounted read-only into the NATS nodes (clients and, on a cluster, routes:
#                                       nodes present the certificate to each other and require one from this CA)
#   DIR/trust/ca.crt                   mounted read-only into the services and nats-provision (NATS_TLS_CA_FILE)
# Usage: make-nats-certs.sh [DIR]. Needs openssl. The local fleet makes its own (libs/local-infra, nats-tls.ts).
set -euo pipefail
dir=${1:-var/nats-tls}
hosts=(nats nats-2 nats-3 localhost)
renew_before=$((30 * 86400))
umask 077
mkdir -p "$dir/server" "$dir/trust"

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1 -out "$1" 2>/dev/null; }
valid() { [[ -s $1 ]] && openssl x509 -in "$1" -noout -checkend "$renew_before" >/dev/null 2>&1; }

if ! valid "$dir/ca.crt" || [[ ! -s $dir/ca.key ]]; then
  key "$dir/ca.key"
  openssl req -x509 -new -key "$dir/ca.key" -days 3650 -subj "/CN=Sightline NATS CA" \
    -addext keyUsage=critical,keyCertSign,cRLSign -out "$dir/ca.crt"
  rm -f "$dir/server/server.crt"
  echo "made the NATS CA in $dir"
fi

server=$dir/server/server.crt
covers_hosts() {
  local host
  for host in "${hosts[@]}"; do
    openssl x509 -in "$server" -noout -checkhost "$host" 2>/dev/null | grep -q "does match" || return 1
  done
}
if ! valid "$server" || [[ ! -s $dir/server/server.key ]] || ! openssl verify -CAfile "$dir/ca.crt" "$server" >/dev/null 2>&1 || ! covers_hosts; then
  key "$dir/server/server.key"
  san=$(printf 'DNS:%s,' "${hosts[@]}")
  extensions=$(mktemp)
  request=$(mktemp)
  trap 'rm -f "$extensions" "$request"' EXIT
  printf '%s\n' 'basicConstraints=critical,CA:FALSE' 'keyUsage=critical,digitalSignature' \
    'extendedKeyUsage=serverAuth,clientAuth' "subjectAltName=${san}IP:127.0.0.1" >"$extensions"
  openssl req -new -key "$dir/server/server.key" -subj "/CN=nats" -out "$request"
  openssl x509 -req -in "$request" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -set_serial "0x$(openssl rand -hex 16)" \
    -days 397 -extfile "$extensions" -out "$server" 2>/dev/null
  echo "made the NATS server certificate in $dir/server (valid for ${hosts[*]}, 397 days)"
fi

cp "$dir/ca.crt" "$dir/server/ca.crt"
cp "$dir/ca.crt" "$dir/trust/ca.crt"
# The services run as uid 10001 and read only the CA certificate; the NATS nodes run as root.
chmod 0755 "$dir/trust"
chmod 0644 "$dir/trust/ca.crt" "$dir/server/ca.crt" "$dir/server/server.crt" "$dir/ca.crt"
chmod 0600 "$dir/ca.key" "$dir/server/server.key"
