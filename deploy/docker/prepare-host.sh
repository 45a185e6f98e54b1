#!/usr/bin/env bash
# Prepares a deployment directory (docker-compose.yml + deploy/) for `docker compose up`. Idempotent: it creates
# what is missing and never overwrites a setting.
#   - .env from deploy/env/compose.env.example, with SIGHTLINE_HOME set to this directory and every empty secret
#     (POSTGRES_*PASSWORD, BACKUP_S3_SECRET_KEY, NATS_*_PASSWORD) filled with a random hex value (added when missing);
#   - deploy/env/<service>.env from each example (edit them afterwards);
#   - the observability profile's secret files (Grafana admin password, Alertmanager secrets);
#   - var/media (MP4 files for ingest) and deploy/proxy/certs (your own TLS certificate, if you use one).
# Needs bash and coreutils. Files holding secrets are created readable by their owner only.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
umask 077

random_hex() { od -An -N24 -tx1 /dev/urandom | tr -d ' \n'; }

if [[ ! -f .env ]]; then
  sed "s|^SIGHTLINE_HOME=.*|SIGHTLINE_HOME=$PWD|" deploy/env/compose.env.example >.env
  echo "created .env"
fi
for key in POSTGRES_PASSWORD POSTGRES_AUTH_PASSWORD POSTGRES_PERSISTENCE_PASSWORD POSTGRES_TRACKER_PASSWORD BACKUP_S3_SECRET_KEY BACKUP_REPO_CIPHER_PASS NATS_PROVISIONER_PASSWORD NATS_INGEST_PASSWORD NATS_INFERENCE_PASSWORD \
  NATS_PERSISTENCE_PASSWORD NATS_GATEWAY_PASSWORD NATS_TRACKER_PASSWORD; do
  # .env files from before a secret existed get the line.
  grep -q "^$key=" .env || echo "$key=" >>.env
  if grep -q "^$key=$" .env; then
    sed -i "s|^$key=$|$key=$(random_hex)|" .env
    echo "generated $key in .env"
  fi
done

for example in deploy/env/*.env.example; do
  target=${example%.example}
  [[ $target == deploy/env/compose.env ]] && continue
  if [[ ! -f $target ]]; then
    cp "$example" "$target"
    echo "created $target"
  fi
done

# Observability profile secrets: Grafana's admin password, Alertmanager's Slack webhook / SMTP password files.
mkdir -p deploy/monitoring/grafana
if [[ ! -f deploy/monitoring/grafana/admin_password ]]; then
  random_hex >deploy/monitoring/grafana/admin_password
  echo "generated deploy/monitoring/grafana/admin_password"
fi
if [[ ! -d deploy/monitoring/alertmanager/secrets && -d deploy/monitoring/alertmanager/secrets-example ]]; then
  cp -r deploy/monitoring/alertmanager/secrets-example deploy/monitoring/alertmanager/secrets
  echo "created deploy/monitoring/alertmanager/secrets (put the Slack webhook URL and SMTP password there)"
fi

mkdir -p var/media deploy/proxy/certs
chmod 0755 var var/media
echo "ready: docker compose pull && docker compose up -d"
