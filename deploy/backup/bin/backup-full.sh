#!/usr/bin/env bash
# Daily physical full backup to the S3 repository. stanza-create is idempotent (it validates an existing stanza), so
# the first run on a new cluster needs no manual step. pgBackRest expires backups and WAL beyond the retention
# (repo1-retention-full-type=time, BACKUP_RETENTION_DAYS) right after a successful backup.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/backup-env.sh"

pgbackrest_as_postgres --stanza="$BACKUP_STANZA" --log-level-console=warn stanza-create
pgbackrest_as_postgres --stanza="$BACKUP_STANZA" --log-level-console=warn backup --type=full "$@"
pgbackrest_as_postgres --stanza="$BACKUP_STANZA" --output=json info |
  jq -r '.[0].backup[-1] | "backup: \(.label) done in \(.timestamp.stop - .timestamp.start)s, \(.info.size) bytes (\(.info.repository.size) in the repository)"'
