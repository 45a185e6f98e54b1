#!/usr/bin/env bash
# Entrypoint of the PostgreSQL container: render pgbackrest.conf (archive_command runs pgBackRest inside this
# container), then start the official postgres entrypoint with continuous WAL archiving to the S3 repository.
# archive_timeout forces a segment switch on a quiet database, which bounds the RPO to BACKUP_ARCHIVE_TIMEOUT_S.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/backup-env.sh"
"$BACKUP_HOME/bin/render-config.sh"
exec docker-entrypoint.sh postgres \
  -c wal_level=replica \
  -c archive_mode=on \
  -c "archive_command=pgbackrest --stanza=$BACKUP_STANZA archive-push %p" \
  -c "archive_timeout=$BACKUP_ARCHIVE_TIMEOUT_S" \
  "$@"
