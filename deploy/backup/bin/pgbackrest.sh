#!/usr/bin/env bash
# pgBackRest with the Sightline settings and as the right user, for operators and the metrics exporter:
#   deploy/backup/bin/pgbackrest.sh --stanza=sightline info
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/backup-env.sh"
pgbackrest_as_postgres "$@"
