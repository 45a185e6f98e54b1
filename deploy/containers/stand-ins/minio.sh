#!/bin/sh
# MinIO's command line for the stand-in: `minio server DIR [--certs-dir CERTS] [--console-address …]` serves DIR over
# HTTPS on :9000 with s3rver, with CERTS/public.crt + private.key (MinIO's layout). Path-style buckets only, as
# MinIO serves them: s3rver would otherwise read the host name (`minio`) as a bucket name.
set -eu
[ "${1:-}" = server ] || { echo "stand-in minio: only 'server DIR --certs-dir DIR' is supported" >&2; exit 2; }
shift
dir=${1:?minio server DIR}; shift
certs=/root/.minio/certs
while [ $# -gt 0 ]; do
  case $1 in
    --certs-dir) certs=$2; shift 2 ;;
    --console-address|--address) shift 2 ;;
    *) shift ;;
  esac
done
mkdir -p "$dir"
exec node /opt/s3rver/node_modules/s3rver/bin/s3rver.js --directory "$dir" --address 0.0.0.0 --port 9000 \
  --key "$certs/private.key" --cert "$certs/public.crt" --no-vhost-buckets --silent
