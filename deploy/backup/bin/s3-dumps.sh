#!/usr/bin/env bash
# Logical dumps in the backup bucket: upload <file> | list | download <name|latest> <file> | prune | ensure-bucket
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/backup-env.sh"
exec node "$BACKUP_HOME/lib/s3-dumps.mjs" "$@"
