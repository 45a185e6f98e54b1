#!/usr/bin/env bash
# One snapshot of the backup metrics in the Prometheus text format (stdout, or --textfile PATH for node_exporter).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/backup-env.sh"
exec node "$BACKUP_HOME/lib/metrics.mjs" "$@"
