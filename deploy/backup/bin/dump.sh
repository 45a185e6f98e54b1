#!/usr/bin/env bash
# Daily logical dump: pg_dump in custom format (compressed), encrypted (bin/dump-cipher.sh) to a local spool file,
# uploaded to the backup bucket under $BACKUP_DUMP_PREFIX as <database>-<stamp>.dump.enc, then dumps older than
# BACKUP_RETENTION_DAYS are deleted. With BACKUP_DUMP_CIPHER_TYPE=none the dump is stored as it is (<…>.dump). The
# dump is written to a file first so that a failed pg_dump never leaves a truncated object in the bucket; the plain
# dump never touches the disk when encrypted.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/backup-env.sh"

spool="$BACKUP_STATE_DIR/dump-spool"
mkdir -p "$spool"
file="$spool/$BACKUP_PG_DATABASE-$(date -u +%Y%m%dT%H%M%SZ).dump"
[[ $BACKUP_DUMP_CIPHER_TYPE == none ]] || file+=.enc
trap 'rm -f "$file"' EXIT

started=$SECONDS
pg_dump_args=(--format=custom --compress=6 --no-password -h "$BACKUP_PG_SOCKET" -p "$BACKUP_PG_PORT" -U "$BACKUP_PG_USER" -d "$BACKUP_PG_DATABASE")
if [[ $BACKUP_DUMP_CIPHER_TYPE == none ]]; then
  pg_dump "${pg_dump_args[@]}" -f "$file"
else
  # pipefail: a failed pg_dump fails the job, and the partial file is removed by the trap.
  pg_dump "${pg_dump_args[@]}" | "$BACKUP_HOME/bin/dump-cipher.sh" encrypt - "$file"
fi
echo "dump: pg_dump of $BACKUP_PG_DATABASE took $((SECONDS - started))s, $(stat -c %s "$file") bytes ($BACKUP_DUMP_CIPHER_TYPE)"
# Their JSON log lines (stderr) say what was uploaded and pruned; the stdout results are for interactive use.
"$BACKUP_HOME/bin/s3-dumps.sh" upload "$file" >/dev/null
"$BACKUP_HOME/bin/s3-dumps.sh" prune >/dev/null
