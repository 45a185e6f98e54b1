#!/usr/bin/env bash
# Entrypoint of the backup container: validate the settings, render pgbackrest.conf, create the bucket if needed, then
# hand over to the Node scheduler (daily full backup + dump at BACKUP_SCHEDULE, metrics on :BACKUP_METRICS_PORT).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/backup-env.sh"
"$BACKUP_HOME/bin/render-config.sh"
"$BACKUP_HOME/bin/s3-dumps.sh" ensure-bucket
exec node "$BACKUP_HOME/lib/scheduler.mjs"
