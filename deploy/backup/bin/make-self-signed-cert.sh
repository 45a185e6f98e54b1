#!/usr/bin/env bash
# A self-signed TLS certificate for a private S3 server (pgBackRest only speaks TLS to S3), in MinIO's layout:
#   make-self-signed-cert.sh DIR DNS_NAME [DAYS]  ->  DIR/public.crt, DIR/private.key  (kept if already there)
# pgBackRest matches the host name against the certificate's DNS names only (not IP SANs): use a host name.
# Clients trust it with BACKUP_S3_CA_FILE=DIR/public.crt.
set -euo pipefail
dir=${1:?usage: make-self-signed-cert.sh DIR DNS_NAME [DAYS]} name=${2:?usage: make-self-signed-cert.sh DIR DNS_NAME [DAYS]}
days=${3:-3650}
if [[ -s $dir/public.crt && -s $dir/private.key ]]; then
  echo "certificate already in $dir"
  exit 0
fi
mkdir -p "$dir"
openssl req -x509 -newkey rsa:2048 -nodes -days "$days" -subj "/CN=$name" -addext "subjectAltName=DNS:$name" \
  -keyout "$dir/private.key" -out "$dir/public.crt" 2>/dev/null
chmod 0644 "$dir/public.crt"
chmod 0640 "$dir/private.key"
echo "self-signed certificate for $name written to $dir"
