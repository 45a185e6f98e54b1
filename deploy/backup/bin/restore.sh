#!/usr/bin/env bash
# Point-in-time recovery into a NEW data directory: restores the newest full backup that precedes the target from the
# pgBackRest repository, replays archived WAL up to the latest segment or to --target-time, starts PostgreSQL on it,
# waits for the promotion, verifies the data (row counts of every table, a checksum over analysis_results) and prints
# the recovery time (RTO). The production data directory is never touched.
#
#   restore.sh --target-dir DIR [--target-time 'YYYY-MM-DD HH:MM:SS+00'] [--port 5433] [--listen 127.0.0.1]
#              [--set BACKUP_LABEL] [--keep-archiving] [--stop] [--timeout 3600]
#
# The last line of output is a JSON summary: {"targetDir", "targetTime", "rows", "checksum", "tables",
# "recoveredTo", "rtoSeconds", "running"}.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/backup-env.sh"

usage() {
  # The header comment above is the help text.
  awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "${BASH_SOURCE[0]}" >&2
  exit 64
}

target_dir='' target_time='' port=5433 listen=127.0.0.1 backup_set='' keep_archiving=n stop_after=n timeout_s=3600
while (($#)); do
  case $1 in
    --target-dir) target_dir=${2:?}; shift 2 ;;
    --target-time) target_time=${2:?}; shift 2 ;;
    --port) port=${2:?}; shift 2 ;;
    --listen) listen=${2:?}; shift 2 ;;
    --set) backup_set=${2:?}; shift 2 ;;
    --keep-archiving) keep_archiving=y; shift ;;
    --stop) stop_after=y; shift ;;
    --timeout) timeout_s=${2:?}; shift 2 ;;
    -h | --help) usage ;;
    *) echo "restore: unknown argument '$1'" >&2; usage ;;
  esac
done
[[ -n $target_dir ]] || usage
[[ $port =~ ^[0-9]+$ && $timeout_s =~ ^[0-9]+$ ]] || usage
if [[ -e $target_dir && -n $(ls -A "$target_dir") ]]; then
  echo "restore: $target_dir is not empty; recovery always goes into a new data directory" >&2
  exit 65
fi

started_ns=$(date +%s%N)
log() { printf '%s restore: %s\n' "$(date -u +%FT%TZ)" "$*" >&2; }

pg_bin=${PG_BIN:-$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)}
as_postgres() {
  if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

mkdir -p "$target_dir"
[[ $(id -u) != 0 ]] || chown postgres:postgres "$target_dir"
chmod 0700 "$target_dir"

restore_args=(--stanza="$BACKUP_STANZA" --pg1-path="$target_dir")
if [[ -n $target_time ]]; then
  restore_args+=(--type=time --target="$target_time" --target-action=promote)
  log "restoring $BACKUP_STANZA to $target_time into $target_dir"
else
  log "restoring $BACKUP_STANZA to the end of the WAL archive into $target_dir"
fi
[[ -z $backup_set ]] || restore_args+=(--set="$backup_set")
# A drill (or a copy for investigation) must not push its new timeline into the production archive.
[[ $keep_archiving == y ]] || restore_args+=(--archive-mode=off)
pgbackrest_as_postgres --log-level-console=warn "${restore_args[@]}" restore

server_opts="-c port=$port -c listen_addresses=$listen -c unix_socket_directories=$target_dir"
# WAL replay aborts when these are lower than on the primary, and the primary may have set them on its command line
# (not in the restored postgresql.conf): take the primary's values from the restored control file.
declare -A control_settings=([max_connections]=max_connections [max_worker_processes]=max_worker_processes
  [max_wal_senders]=max_wal_senders [max_prepared_xacts]=max_prepared_transactions [max_locks_per_xact]=max_locks_per_transaction)
while IFS=: read -r name value; do
  name=${name% setting}
  if [[ -n ${control_settings[$name]:-} ]]; then server_opts+=" -c ${control_settings[$name]}=${value// /}"; fi
done < <(as_postgres "$pg_bin/pg_controldata" "$target_dir" | grep ' setting:')
[[ $keep_archiving == y ]] || server_opts+=" -c archive_mode=off"
log "starting PostgreSQL on $listen:$port, replaying WAL"
# With --stop the server goes down however the script ends (a drill leaves nothing running, even on failure).
[[ $stop_after == n ]] || trap 'as_postgres "$pg_bin/pg_ctl" -D "$target_dir" -m fast -w stop >/dev/null' EXIT
if ! as_postgres "$pg_bin/pg_ctl" -D "$target_dir" -l "$target_dir/restore-server.log" -o "$server_opts" -w -t "$timeout_s" start >/dev/null; then
  log "PostgreSQL did not start on the restored data; end of $target_dir/restore-server.log:"
  grep -v ' P00 ' "$target_dir/restore-server.log" | tail -n 15 >&2
  exit 69
fi

psql_restored() {
  as_postgres "$pg_bin/psql" -h "$target_dir" -p "$port" -U "$BACKUP_PG_USER" -d "$BACKUP_PG_DATABASE" \
    -v ON_ERROR_STOP=1 -AtX -c "$1"
}

# Hot standby accepts connections while WAL is still being replayed: wait for the promotion at the recovery target.
deadline=$((SECONDS + timeout_s))
until [[ $(psql_restored 'SELECT pg_is_in_recovery()') == f ]]; do
  if ((SECONDS > deadline)); then
    log "still in recovery after ${timeout_s}s; see $target_dir/restore-server.log"
    exit 70
  fi
  sleep 0.2
done
recovered_to=$(psql_restored "SELECT coalesce(to_char(pg_last_xact_replay_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), '')")
log "recovery finished (last replayed transaction: ${recovered_to:-none})"

# Exact row counts of every table, without one hand-written query per table.
tables=$(psql_restored "SELECT coalesce(json_object_agg(table_name, (xpath('/row/c/text()',
  query_to_xml(format('SELECT count(*) AS c FROM %I.%I', table_schema, table_name), false, true, '')))[1]::text::bigint
  ORDER BY table_name), '{}') FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'")
# Order-independent checksum (sum of per-row md5 prefixes): streams over any table size, equal iff the rows are equal
# (with overwhelming probability), and comparable with the same query on the source database.
checksum_row=$(psql_restored "$(cat "$BACKUP_HOME/sql/analysis-results-checksum.sql")") || {
  log "verification failed: analysis_results cannot be read"
  exit 66
}
rows=${checksum_row%%|*}
checksum=${checksum_row#*|}
log "verified: analysis_results rows=$rows checksum=$checksum; tables: $tables"

running=true
if [[ $stop_after == y ]]; then
  running=false
else
  log "restored server left running; stop it with: pg_ctl -D $target_dir -m fast stop (as postgres)"
fi

rto=$(awk -v s="$started_ns" -v e="$(date +%s%N)" 'BEGIN { printf "%.1f", (e - s) / 1e9 }')
log "RTO ${rto}s (restore + WAL replay + verification)"
jq -cn --arg targetDir "$target_dir" --arg targetTime "$target_time" --argjson rows "$rows" --arg checksum "$checksum" \
  --argjson tables "$tables" --arg recoveredTo "$recovered_to" --argjson rtoSeconds "$rto" --argjson running "$running" \
  '{targetDir: $targetDir, targetTime: (if $targetTime == "" then "latest" else $targetTime end), rows: $rows,
    checksum: $checksum, tables: $tables, recoveredTo: $recoveredTo, rtoSeconds: $rtoSeconds, running: $running}'
