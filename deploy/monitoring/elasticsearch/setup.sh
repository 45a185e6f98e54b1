#!/usr/bin/env bash
# One-shot `elasticsearch-setup` (compose profile observability): Elasticsearch's users for the log pipeline, each
# with only what it needs. Runs after Elasticsearch is healthy and before Kibana, Fluentd and ElastAlert start;
# idempotent (roles and users are written again, passwords set again from .env).
#   - kibana_system (built in): Kibana's own connection; people log in to Kibana with their own users;
#   - sightline_fluentd, role sightline_log_writer: may create sightline-logs-* indices and add documents, nothing
#     else (no reading, no overwriting, no deleting);
#   - sightline_elastalert, role sightline_log_alerter: reads sightline-logs-*, keeps its state in elastalert_status*.
# The `elastic` superuser's password is used here only (and by Elasticsearch itself): it never reaches the others.
# Passwords are sent in request bodies read from stdin, the superuser's through a curl config on a file descriptor:
# none appears in a process's arguments.
set -euo pipefail
here=$(dirname "$0")
es_url=${ES_URL:-http://elasticsearch:9200}

for var in ELASTIC_PASSWORD KIBANA_SYSTEM_PASSWORD FLUENTD_ES_PASSWORD ELASTALERT_ES_PASSWORD; do
  value=${!var:-}
  # The values go into JSON bodies: letters, digits, `-` and `_` only (prepare-host.sh generates hex).
  [[ $value =~ ^[A-Za-z0-9_-]{16,}$ ]] || { echo "elasticsearch-setup: $var must be at least 16 letters, digits, - or _" >&2; exit 1; }
done

# request METHOD PATH: the body comes from stdin; a failed request names its answer.
request() {
  local response status
  response=$(curl -sS -w '\n%{http_code}' --config <(printf 'user = "elastic:%s"\n' "$ELASTIC_PASSWORD") \
    -X "$1" -H 'Content-Type: application/json' --data-binary @- "$es_url$2") || return 1
  status=${response##*$'\n'}
  [[ $status == 2?? ]] || { echo "elasticsearch-setup: $1 $2 answered $status: ${response%$'\n'*}" >&2; return 1; }
}

# Elasticsearch is healthy before this runs (compose), but may still be loading its security index.
for attempt in $(seq 30); do
  request GET /_security/_authenticate </dev/null 2>/dev/null && break
  ((attempt < 30)) || { echo "elasticsearch-setup: $es_url does not accept the elastic user" >&2; exit 1; }
  sleep 2
done

request PUT /_security/role/sightline_log_writer <"$here/roles/sightline_log_writer.json"
request PUT /_security/role/sightline_log_alerter <"$here/roles/sightline_log_alerter.json"
request POST /_security/user/sightline_fluentd <<<"{\"password\":\"$FLUENTD_ES_PASSWORD\",\"roles\":[\"sightline_log_writer\"]}"
request POST /_security/user/sightline_elastalert <<<"{\"password\":\"$ELASTALERT_ES_PASSWORD\",\"roles\":[\"sightline_log_alerter\"]}"
request POST /_security/user/kibana_system/_password <<<"{\"password\":\"$KIBANA_SYSTEM_PASSWORD\"}"
echo "elasticsearch-setup: roles sightline_log_writer, sightline_log_alerter; users sightline_fluentd, sightline_elastalert; kibana_system's password set"
