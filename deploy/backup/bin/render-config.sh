#!/usr/bin/env bash
# Renders pgbackrest.conf.template into $PGBACKREST_CONFIG and prepares the state directory (locks, logs, spool)
# so that the postgres user can write there. Safe to run at every container start.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/backup-env.sh"

mkdir -p "$(dirname "$PGBACKREST_CONFIG")" "$BACKUP_STATE_DIR"/{lock,log,spool}
# Only the variables we own are substituted, so a literal "$" elsewhere in the template survives.
# pgBackRest rejects empty option values, so the optional CA bundle becomes a whole line or a comment.
if [[ -n $BACKUP_S3_CA_FILE ]]; then
  BACKUP_S3_CA_OPTION="repo1-storage-ca-file=$BACKUP_S3_CA_FILE"
else
  BACKUP_S3_CA_OPTION="# repo1-storage-ca-file: BACKUP_S3_CA_FILE not set (system CA bundle)"
fi
export BACKUP_S3_CA_OPTION
# Only the variables we own are substituted, so a literal "$" elsewhere in the template survives.
vars=$(compgen -v BACKUP_ | sed 's/^/$/' | tr '\n' ' ')
envsubst "$vars" <"$BACKUP_HOME/pgbackrest.conf.template" >"$PGBACKREST_CONFIG.tmp"
mv "$PGBACKREST_CONFIG.tmp" "$PGBACKREST_CONFIG"
chmod 0644 "$PGBACKREST_CONFIG"

if [[ $(id -u) == 0 ]]; then
  chown -R postgres:postgres "$BACKUP_STATE_DIR"
fi
echo "rendered $PGBACKREST_CONFIG (stanza $BACKUP_STANZA, s3 ${BACKUP_S3_HOST}:${BACKUP_S3_PORT}/${BACKUP_S3_BUCKET}${BACKUP_REPO_PATH})"
