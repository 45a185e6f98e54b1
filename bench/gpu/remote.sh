#!/usr/bin/env bash
# Runs on the GPU host (through the device tool), from the repository's copy there; the chunks of pack.sh's archive
# travel in ignored folders (.gpu/aa …, one per call, each with sl.chunks). Everything lives under /opt/sl
# (PostgreSQL runs as `postgres`, which cannot enter /root), and survives between calls while the host stays warm.
#   remote.sh receive [DIR...]        keep the chunk(s) carried in each DIR (default: beside this script); unpack once
#                                     all have arrived (sl.chunks says how many); DIR/app/*.mjs[.xz] (carried in any
#                                     call) replace the archived bundles
#   remote.sh info                    card, driver, vCPU model, and checks of the carried tools (NVDEC, PostgreSQL)
#   remote.sh gpu-bench [ARGS]        Detector on CUDA (bench/gpu/inference-bench.mjs)
#   remote.sh decode-bench N...       bare FFmpeg: N parallel 1080p60 decodes for each N, software vs the NVDEC paths, CPU per frame
#   remote.sh fleet NAME N REPLICAS SECONDS MODEL MAX_BATCH HWACCEL [FPS]   the whole pipeline, PostgreSQL included
#                                     (CPU_PROF=1: V8 CPU profiles of every service, summarised into NAME-prof.txt)
#   remote.sh fleets "NAME N REPLICAS HWACCEL [FPS]"...   fleet runs in order (FLEET_SECONDS, FLEET_MODEL, FLEET_BATCH),
#                                     each begun only while the time to SL_DEADLINE (epoch s; else SL_BUDGET_S from
#                                     now) holds the longest step so far (90 s at first); those done in an earlier
#                                     call (NAME.json in $SL_RESULTS) are skipped, unless SL_REDO=1
# Every step writes into $SL_RESULTS (/opt/sl-results, kept while the host stays warm) and then re-archives that
# folder as $OUT/results.tgz: each call brings back everything measured so far, and a step cut off by the call's time
# limit leaves the earlier ones. SL_PROVIDER=cpu and SL_ROOT/SL_PARTS/SL_RESULTS elsewhere rehearse it on a CPU box
# (bench/gpu/rehearse.sh).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd); root=${SL_ROOT:-/opt/sl}; parts=${SL_PARTS:-/opt/sl-parts}
results=${SL_RESULTS:-/opt/sl-results}; provider=${SL_PROVIDER:-cuda}
# The repository's profile summariser when run from the repository, else one carried beside this script.
summary=$here/../lib/profile-summary.mjs; [ -f "$summary" ] || summary=$here/profile-summary.mjs
export PATH=$root/bin:$PATH LD_LIBRARY_PATH=/usr/local/cuda-13.0/lib64:${LD_LIBRARY_PATH:-} FFMPEG_PATH=$root/nvdec/ffmpeg PG_BIN=$root/pg/bin
out=${OUT:-/tmp/out}; mkdir -p "$out" "$results"
prepare_host() {
  # PostgreSQL refuses root: LocalPostgres runs it as `postgres`. Time zones for Debian's build.
  if [ "$(id -u)" = 0 ]; then
    id -u postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
    [ -e /usr/share/zoneinfo/UTC ] || { mkdir -p /usr/share/zoneinfo && cp -r "$root/pg/zoneinfo/." /usr/share/zoneinfo/; }
  fi
}
need_root() { [ -x "$root/bin/node" ] || { echo "not unpacked: $root/bin/node missing (receive every chunk first)" >&2; exit 3; }; }
# One file back however many steps ran ($OUT returns at most 8 files), written whole before it replaces the last.
save() { tar -C "$results" -czf "$out/.results.tgz" . && mv "$out/.results.tgz" "$out/results.tgz"; }
fleet() {
  local name=$1 sessions=$2 replicas=$3 seconds=$4 model=$5 batch=$6 hwaccel=$7 fps=${8:-60} rc=0 sampler=
  prepare_host; need_root
  local prof=(); [ -n "${CPU_PROF:-}" ] && { rm -rf "/tmp/prof-$name"; prof=(--cpu-prof "/tmp/prof-$name"); }
  # The card's own view while the fleet runs: GPU and NVDEC (decoder) busy %, every 500 ms.
  if command -v nvidia-smi >/dev/null; then
    nvidia-smi --query-gpu=timestamp,utilization.gpu,utilization.decoder,memory.used --format=csv -lms 500 > "$results/$name-gpu.csv" 2>&1 &
    sampler=$!
  fi
  # Its own temp folder, so that the services' logs are found afterwards; the clips stay cached across steps.
  local tmp=/tmp/sl-$name; rm -rf "$tmp"; mkdir -p "$tmp"; chmod 755 "$tmp"
  # NATS runs over TLS as deployed; its certificates need openssl. Without it the step runs plaintext, and says so.
  local tls=1; command -v openssl >/dev/null || { tls=0; echo "$name: no openssl on this host: NATS without TLS" | tee "$results/$name-nats-plaintext.txt"; }
  (cd "$root" && export TMPDIR=$tmp SIGHTLINE_BENCH_NATS_TLS=$tls SIGHTLINE_MEDIA_CACHE=${SIGHTLINE_MEDIA_CACHE:-$results/../sl-media} && node app/bench.mjs --bundles "$root/app" --provider "$provider" --modes live --fps "$fps" \
    --sessions "$sessions" --inference-replicas "$replicas" --seconds "$seconds" --warmup 5 --skip-baselines \
    --model "$model" --max-batch "$batch" --ingest-hwaccel "$hwaccel" --json "$results/$name.json" "${prof[@]}") \
    > "$results/$name.md" 2> "$results/$name.err.full" || rc=$?
  [ -z "$sampler" ] || kill "$sampler" 2>/dev/null || true
  # ORT's per-node warnings fill megabytes; the rest of the log is kept.
  grep -v 'onnxruntime:' "$results/$name.err.full" | tail -c 200000 > "$results/$name.err" || true; rm -f "$results/$name.err.full"
  # The services' warnings and errors, and whether ingest decodes on the GPU ("hardware decoding in use") or fell back.
  for log in $(find "$tmp" -path '*/logs/*.log' | sort); do
    grep -E 'hardware decoding|"level":"?(warn|error|fatal)|"level":(40|50|60)' "$log" | sed "s|^|${log##*/}: |" | head -200
  done > "$results/$name-logs.txt" 2>/dev/null || true
  rm -rf "$tmp"
  if [ "$rc" != 0 ]; then echo "fleet $name FAILED (exit $rc):"; tail -30 "$results/$name.err"; return "$rc"; fi
  grep -h -o -E 'hardware decoding[^"]*' "$results/$name-logs.txt" | sort | uniq -c | head -3 || true
  cat "$results/$name.md"
  if [ -n "${CPU_PROF:-}" ]; then
    for f in $(find "/tmp/prof-$name" -name '*.cpuprofile' | sort); do
      echo "== $f"; node "$summary" "$f" --top 12
    done > "$results/$name-prof.txt" 2>&1; head -c 6000 "$results/$name-prof.txt"
  fi
}
case "$1" in
  receive)
    mkdir -p "$parts"; dirs=("${@:2}"); [ ${#dirs[@]} -gt 0 ] || dirs=("$here")
    for d in "${dirs[@]}"; do
      cp "$d"/sl.tar.xz.* "$d/sl.chunks" "$parts/" 2>/dev/null || true
      # Bundles rebuilt after the archive was made (DIR/app/NAME.mjs, or .mjs.xz to fit beside a chunk): kept until
      # the archive is unpacked, then put in place of the archived ones.
      for f in "$d"/app/*.mjs "$d"/app/*.mjs.xz; do
        [ -f "$f" ] || continue; mkdir -p "$parts/app"
        case $f in *.xz) xz -dc "$f" > "$parts/app/$(basename "$f" .xz)" ;; *) cp "$f" "$parts/app/" ;; esac
      done
    done
    have=$(ls "$parts" | grep -c '^sl\.tar\.xz\.' || true); want=$(cat "$parts/sl.chunks" 2>/dev/null || echo '?')
    echo "chunks: $have of $want"
    if [ "$have" = "$want" ]; then
      rm -rf "$root"; mkdir -p "$root"; cat "$parts"/sl.tar.xz.* | xz -dc | tar -C "$root" -xf -
      rm -f "$parts"/sl.tar.xz.* "$parts/sl.chunks"; chmod 755 "$root"
      prepare_host; "$root/bin/node" --version; du -sh "$root"
    fi
    if [ -d "$parts/app" ] && [ -d "$root/app" ]; then cp -v "$parts"/app/*.mjs "$root/app/"; rm -rf "$parts/app"; fi ;;
  info)
    prepare_host; need_root
    { date -u +%FT%TZ
      nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || echo "no nvidia-smi"
      grep -m1 'model name' /proc/cpuinfo; nproc; free -g | head -2
      ldconfig -p | grep -E 'libnvcuvid|libcuda\.so\.1' || echo "no libnvcuvid/libcuda in the linker cache"
      "$FFMPEG_PATH" -hide_banner -version | head -1
      "$FFMPEG_PATH" -hide_banner -decoders 2>/dev/null | grep -E 'h264_cuvid' || echo "no h264_cuvid in the carried FFmpeg"
      "$PG_BIN/postgres" --version
      node --version; nats-server --version
      openssl version || echo "no openssl: the fleet steps run NATS without TLS"
    } 2>&1 | tee "$results/info.txt"; save ;;
  gpu-bench) need_root; cd "$root" && node app/gpu-bench.mjs --frame assets/astronaut-256.rgb --out "$results/gpu-bench.json" "${@:2}"; save ;;
  decode-bench)
    # Bare FFmpeg, the ingest's decode paths for a 1080p60 H.264 clip to a 256×256 RGB letterbox, N processes at once
    # per N given: wall time and the FFmpegs' CPU (user+sys, from the shell's children times) per frame.
    need_root
    clip=/tmp/decode-bench.mp4; pad="pad=256:256:0:56"
    [ -f $clip ] || "$FFMPEG_PATH" -hide_banner -loglevel error -y -f lavfi -i testsrc2=size=1920x1080:rate=60 -t 10 -c:v libx264 -preset veryfast -g 60 -pix_fmt yuv420p "$clip"
    frames=600
    for n in "${@:2}"; do
      for mode in software hwaccel+scale_cuda cuvid+scale_cuda cuvid-resize cuvid-resize-nv12; do
        case $mode in
          software) in=(); vf="scale=256:144:flags=area,$pad,format=rgb24" ;;
          hwaccel+scale_cuda) in=(-hwaccel cuda -hwaccel_output_format cuda); vf="scale_cuda=256:144,hwdownload,format=nv12,$pad,format=rgb24" ;;
          cuvid+scale_cuda) in=(-hwaccel cuda -hwaccel_output_format cuda -c:v h264_cuvid); vf="scale_cuda=256:144,hwdownload,format=nv12,$pad,format=rgb24" ;;
          cuvid-resize) in=(-c:v h264_cuvid -resize 256x144); vf="$pad,format=rgb24" ;;
          cuvid-resize-nv12) in=(-c:v h264_cuvid -resize 256x144); vf="format=nv12" ;;
        esac
        ( start=$(date +%s%N)
          pids=(); for i in $(seq "$n"); do "$FFMPEG_PATH" -hide_banner -loglevel error -nostdin "${in[@]}" -i "$clip" -vf "$vf" -vsync 0 -f rawvideo -y /dev/null 2>>/tmp/decode-bench.err & pids+=($!); done
          failed=0; for p in "${pids[@]}"; do wait "$p" || failed=$((failed + 1)); done
          [ $failed = 0 ] || echo "decode $mode x$n: $failed of $n FFmpegs FAILED (figures below are not valid)"
          wall=$(( ($(date +%s%N) - start) / 1000000 )); times > /tmp/decode-times
          cpu=$(tail -1 /tmp/decode-times | awk '{ s = 0; for (i = 1; i <= 2; i++) { split($i, t, /[ms]/); s += t[1] * 60 + t[2] } print s }')
          awk -v m="$mode" -v n="$n" -v w="$wall" -v c="$cpu" -v f=$((n * frames)) 'BEGIN { printf "decode %-18s x%-3d %6d ms wall  %6.0f fps  CPU %7.1f s  %6.0f us/frame\n", m, n, w, f * 1000 / w, c, c * 1e6 / f }' )
      done
    done | tee "$results/decode-bench.txt"; save ;;
  fleet)
    rc=0; fleet "${@:2}" || rc=$?; save; exit "$rc" ;;
  fleets)
    # SL_DEADLINE (epoch seconds, set at the start of the call's command) or SL_BUDGET_S from now: the device tool
    # kills a command at 600 s, and a step begun too late would come back with nothing.
    deadline=${SL_DEADLINE:-$(( $(date +%s) + ${SL_BUDGET_S:-540} ))}; longest=90; failed=0
    for spec in "${@:2}"; do
      read -r name sessions replicas hwaccel fps <<< "$spec"
      # Done in an earlier call on this host: the same list can be given to every call until all are done.
      if [ -f "$results/$name.json" ] && [ -z "${SL_REDO:-}" ]; then echo "fleet $name done earlier, skipped"; continue; fi
      left=$((deadline - $(date +%s)))
      if [ $left -lt $longest ]; then echo "fleet $name skipped: ${left} s left, a step takes up to ${longest} s"; continue; fi
      echo "== fleet $name ($sessions sessions, $replicas replicas, $hwaccel, ${fps:-60} fps), ${left} s left"
      start=$SECONDS
      # A step that hangs is stopped at the deadline (with its whole process group), so the call still returns.
      set +e
      timeout -k 10 "$left" "$here/remote.sh" fleet "$name" "$sessions" "$replicas" "${FLEET_SECONDS:-15}" \
        "${FLEET_MODEL:-blazeface-back-256-batched-u8}" "${FLEET_BATCH:-16}" "$hwaccel" "${fps:-60}" \
        | grep -v -E '\(skipped\)|^ratio|^\|---'
      rc=${PIPESTATUS[0]}; set -e
      [ "$rc" = 0 ] || failed=$((failed + 1))
      if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
        echo "fleet $name STOPPED at the deadline (its log: $name.err)"
        grep -v 'onnxruntime:' "$results/$name.err.full" 2>/dev/null | tail -c 200000 > "$results/$name.err" || true
        rm -rf "$results/$name.err.full" "/tmp/sl-$name"
      fi
      took=$((SECONDS - start)); [ $took -le $longest ] || longest=$took
      echo "   $name took ${took} s"
    done
    save; [ $failed = 0 ] ;;
  *) echo "unknown step $1" >&2; exit 2 ;;
esac
