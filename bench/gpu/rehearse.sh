#!/usr/bin/env bash
# Rehearses the GPU host's side of a visit on this CPU box, so that the one visit is a sure shot: the chunks of
# pack.sh's archive carried one per call as the device tool would (.gpu/aa … → CARRY/aa …), received and unpacked
# into a clean folder by remote.sh, then remote.sh's steps with the CPU provider — each under an environment that
# has only the base system on its PATH (no node, FFmpeg, nats-server or PostgreSQL of this box, no repository
# node_modules above the unpacked folder), as on the host.
#   bench/gpu/rehearse.sh SHIP WORK [STEP ARGS...]   SHIP: pack.sh's ship/ folder; WORK: emptied and used
#   with no STEP: receive every chunk, then info, decode-bench 1, and two short fleets (2 sessions, 10 fps, 8 s) given
#   to two calls as the visit's runbook does (docs/benchmarks.md)
# Outputs: WORK/out/results.tgz (what $OUT would bring back) and WORK/results/.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd); ship=$(cd "$1" && pwd); work=$2; shift 2
case "$work" in /*) ;; *) work=$PWD/$work ;; esac
rm -rf "$work"; mkdir -p "$work"/{sysbin,carry,out,results,media}
chmod 755 "$work" # PostgreSQL runs as `postgres` from the unpacked folder
# The host's base system: the shell tools remote.sh, the wrappers and LocalPostgres use (openssl: Ubuntu's
# ca-certificates depends on it; the fleet makes its NATS certificates with it), and nothing of ours.
for tool in bash sh cat cp mv rm mkdir ls grep awk sed tar xz gzip du chmod id date tee head tail find sort timeout \
  nproc free ldconfig seq dirname basename readlink env sleep wc cut tr uname ps kill runuser useradd cmp ln uniq openssl; do
  path=$(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin command -v "$tool") && ln -s "$path" "$work/sysbin/$tool"
done
host() {
  env -i HOME="${HOME:-/root}" PATH="$work/sysbin" OUT="$work/out" SL_ROOT="$work/sl" SL_PARTS="$work/parts" \
    SL_RESULTS="$work/results" SL_PROVIDER=cpu SIGHTLINE_MEDIA_CACHE="$work/media" \
    ${FLEET_SECONDS:+FLEET_SECONDS=$FLEET_SECONDS} ${SL_BUDGET_S:+SL_BUDGET_S=$SL_BUDGET_S} \
    ${CPU_PROF:+CPU_PROF=$CPU_PROF} bash "$here/remote.sh" "$@"
}
# One folder per call, as .gpu/aa … travel: a chunk and sl.chunks.
for chunk in "$ship"/sl.tar.xz.*; do
  call=$work/carry/${chunk##*.}; mkdir -p "$call"; ln "$chunk" "$call/" 2>/dev/null || cp "$chunk" "$call/"
  cp "$ship/sl.chunks" "$call/"
done
# A rebuilt bundle travels xz'd beside the last chunk (pack.sh's stage/ beside ship/ has one) and replaces the archived one.
last=$(ls -d "$work"/carry/* | tail -1)
if [ -f "$ship/../stage/app/ingest.mjs" ]; then mkdir -p "$last/app" && xz -c "$ship/../stage/app/ingest.mjs" > "$last/app/ingest.mjs.xz"; fi
for call in "$work"/carry/*; do echo "== receive ${call##*/}"; host receive "$call"; done
if [ $# -gt 0 ]; then host "$@"; exit; fi
host info
host decode-bench 1
# As the third and fourth calls: the same list twice; the first call's budget holds one step (the second is skipped
# for time), the next call skips the one done and runs the other.
export FLEET_SECONDS=${FLEET_SECONDS:-8}
echo "== call 3"; SL_BUDGET_S=100 host fleets "sw-2 2 1 none 10" "nvdec-2 2 1 cuda 10"
echo "== call 4"; SL_BUDGET_S=200 host fleets "sw-2 2 1 none 10" "nvdec-2 2 1 cuda 10"
tar -tzvf "$work/out/results.tgz"
