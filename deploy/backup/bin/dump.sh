#!/usr/bin/env bash
# Daily logical dump: pg_dump in custom format (compressed) to a local spool file, upload to the backup bucket under
# $BACKUP_DUMP_PREFIX, then delete dumps older than BACKUP_RETENTION_DAYS. The dump is written to a file first so
# that a failed pg_dump never leaves a truncated object in the bucket.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/backup-env.sh"

spool="$BACKUP_STATE_DIR/dump-spool"
mkdir -p "$spool"
file="$spool/$BACKUP_PG_DATABASE-$(date -u +%Y%m%dT%H%M%SZ).dump"
trap 'rm -f "$file"' EXIT

started=$SECONDS
pg_dump --format=custom --compress=6 --no-password \
  -h "$BACKUP_PG_SOCKET" -p "$BACKUP_PG_PORT" -U "$BACKUP_PG_USER" -d "$BACKUP_PG_DATABASE" -f "$file"
echo "dump: pg_dump of $BACKUP_PG_DATABASE took $((SECONDS - started))s, $(stat -c %s "$file") bytes"
# Their JSON log lines (stderr) say what was uploaded and pruned; the stdout results are for interactive use.
"$BACKUP_HOME/bin/s3-dumps.sh" upload "$file" >/dev/null
"$BACKUP_HOME/bin/s3-dumps.sh" prune >/dev/null
