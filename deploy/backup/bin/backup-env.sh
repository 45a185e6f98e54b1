# shellcheck shell=bash
# The one place where backup settings get their defaults and are validated. Sourced by every script in this folder
# (and by the container entrypoint before the Node scheduler starts), so all tools agree on the same values.
# Secrets never get a default: PGBACKREST_REPO1_S3_KEY / PGBACKREST_REPO1_S3_KEY_SECRET (S3), PGPASSWORD (pg_dump),
# PGBACKREST_REPO1_CIPHER_PASS (the repository's encryption passphrase, which also encrypts the logical dumps).

: "${BACKUP_STANZA:=sightline}"
: "${BACKUP_S3_HOST:=minio}"
: "${BACKUP_S3_PORT:=9000}"
: "${BACKUP_S3_BUCKET:=sightline-backups}"
: "${BACKUP_S3_REGION:=us-east-1}"
: "${BACKUP_S3_URI_STYLE:=path}"
: "${BACKUP_S3_VERIFY_TLS:=y}"
: "${BACKUP_S3_CA_FILE:=}"
: "${BACKUP_REPO_PATH:=/pgbackrest}"
: "${BACKUP_REPO_CIPHER_TYPE:=aes-256-cbc}"
: "${BACKUP_DUMP_PREFIX:=dumps/}"
: "${BACKUP_DUMP_CIPHER_TYPE:=aes-256-cbc}"
: "${BACKUP_RETENTION_DAYS:=7}"
: "${BACKUP_ARCHIVE_TIMEOUT_S:=60}"
: "${BACKUP_PROCESS_MAX:=2}"
: "${BACKUP_STATE_DIR:=/var/lib/sightline-backup}"
: "${BACKUP_PGDATA:=/var/lib/postgresql/data}"
: "${BACKUP_PG_PORT:=5432}"
: "${BACKUP_PG_SOCKET:=/var/run/postgresql}"
: "${BACKUP_PG_USER:=sightline}"
: "${BACKUP_PG_DATABASE:=sightline}"
: "${BACKUP_SCHEDULE:=02:00}"
: "${BACKUP_TIMEZONE:=UTC}"
: "${BACKUP_ON_START:=if-missing}"
: "${BACKUP_METRICS_PORT:=3007}"
: "${BACKUP_METRICS_INTERVAL_S:=30}"
: "${PGBACKREST_CONFIG:=/etc/pgbackrest/pgbackrest.conf}"
# The AWS SDK version is pinned; its notice is about future releases needing Node 22 (the image already runs 22).
: "${AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED:=true}"

backup_env_fail() {
  echo "backup config: $*" >&2
  exit 64
}

[[ $BACKUP_S3_VERIFY_TLS =~ ^[yn]$ ]] || backup_env_fail "BACKUP_S3_VERIFY_TLS must be y or n, got '$BACKUP_S3_VERIFY_TLS'"
[[ $BACKUP_S3_URI_STYLE =~ ^(path|host)$ ]] || backup_env_fail "BACKUP_S3_URI_STYLE must be path or host"
[[ $BACKUP_S3_PORT =~ ^[0-9]+$ ]] || backup_env_fail "BACKUP_S3_PORT must be a port number"
[[ $BACKUP_RETENTION_DAYS =~ ^[1-9][0-9]*$ ]] || backup_env_fail "BACKUP_RETENTION_DAYS must be a positive integer"
[[ $BACKUP_ARCHIVE_TIMEOUT_S =~ ^[1-9][0-9]*$ ]] || backup_env_fail "BACKUP_ARCHIVE_TIMEOUT_S must be a positive integer"
[[ $BACKUP_PROCESS_MAX =~ ^[1-9][0-9]*$ ]] || backup_env_fail "BACKUP_PROCESS_MAX must be a positive integer"
[[ $BACKUP_SCHEDULE =~ ^([01][0-9]|2[0-3]):[0-5][0-9]$ ]] || backup_env_fail "BACKUP_SCHEDULE must be HH:MM (24 h, in BACKUP_TIMEZONE)"
[[ $BACKUP_ON_START =~ ^(if-missing|never)$ ]] || backup_env_fail "BACKUP_ON_START must be if-missing or never"
[[ $BACKUP_REPO_CIPHER_TYPE =~ ^(aes-256-cbc|none)$ ]] || backup_env_fail "BACKUP_REPO_CIPHER_TYPE must be aes-256-cbc or none"
[[ $BACKUP_REPO_CIPHER_TYPE == none || -n ${PGBACKREST_REPO1_CIPHER_PASS:-} ]] ||
  backup_env_fail "PGBACKREST_REPO1_CIPHER_PASS is not set: the backup repository is encrypted (BACKUP_REPO_CIPHER_TYPE=$BACKUP_REPO_CIPHER_TYPE)"
[[ $BACKUP_DUMP_CIPHER_TYPE =~ ^(aes-256-cbc|none)$ ]] || backup_env_fail "BACKUP_DUMP_CIPHER_TYPE must be aes-256-cbc or none"
[[ $BACKUP_DUMP_CIPHER_TYPE == none || -n ${PGBACKREST_REPO1_CIPHER_PASS:-} ]] ||
  backup_env_fail "PGBACKREST_REPO1_CIPHER_PASS is not set: the logical dumps are encrypted with it (BACKUP_DUMP_CIPHER_TYPE=$BACKUP_DUMP_CIPHER_TYPE)"
[[ $BACKUP_DUMP_PREFIX == */ ]] || backup_env_fail "BACKUP_DUMP_PREFIX must end with /"
[[ -z $BACKUP_S3_CA_FILE || -r $BACKUP_S3_CA_FILE ]] || backup_env_fail "BACKUP_S3_CA_FILE '$BACKUP_S3_CA_FILE' is not readable"

export BACKUP_STANZA BACKUP_S3_HOST BACKUP_S3_PORT BACKUP_S3_BUCKET BACKUP_S3_REGION BACKUP_S3_URI_STYLE \
  BACKUP_S3_VERIFY_TLS BACKUP_S3_CA_FILE BACKUP_REPO_PATH BACKUP_REPO_CIPHER_TYPE BACKUP_DUMP_PREFIX BACKUP_DUMP_CIPHER_TYPE BACKUP_RETENTION_DAYS BACKUP_ARCHIVE_TIMEOUT_S BACKUP_PROCESS_MAX \
  BACKUP_STATE_DIR BACKUP_PGDATA BACKUP_PG_PORT BACKUP_PG_SOCKET BACKUP_PG_USER BACKUP_PG_DATABASE BACKUP_SCHEDULE BACKUP_TIMEZONE \
  BACKUP_ON_START BACKUP_METRICS_PORT BACKUP_METRICS_INTERVAL_S PGBACKREST_CONFIG \
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED

# The directory holding these scripts and the Node tools next to them (bin/ -> ..).
BACKUP_HOME=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export BACKUP_HOME

# pgBackRest refuses to run as root against a cluster owned by postgres, and its lock/log files must stay owned by
# the user that archive_command runs as: run it as postgres when we are root.
pgbackrest_as_postgres() {
  if [[ $(id -u) == 0 ]]; then
    runuser -u postgres -- pgbackrest "$@" # runuser keeps the environment (S3 keys, PGBACKREST_CONFIG)
  else
    pgbackrest "$@"
  fi
}
