#!/usr/bin/env bash
# Runs on the GPU host (through the device tool), from the carried folder (.gpu/ by default: this script and the
# chunks of pack.sh's archive). Everything lives under /opt/sl (PostgreSQL runs as `postgres`, which cannot enter
# /root), and survives between calls while the host stays warm.
#   remote.sh receive                 keep the carried chunk(s); unpack once all have arrived (sl.chunks says how many)
#   remote.sh info                    card, driver, vCPU model, and checks of the carried tools (NVDEC, PostgreSQL)
#   remote.sh gpu-bench [ARGS]        Detector on CUDA (bench/gpu/inference-bench.mjs)
#   remote.sh decode-bench N...       bare FFmpeg: N parallel 1080p60 decodes for each N, software vs the NVDEC paths, CPU per frame
#   remote.sh fleet NAME N REPLICAS SECONDS MODEL MAX_BATCH HWACCEL [FPS]   the whole pipeline, PostgreSQL included
#                                     (CPU_PROF=1: V8 CPU profiles of every service, summarised into $OUT/NAME-prof.txt)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd); root=${SL_ROOT:-/opt/sl}; parts=${SL_PARTS:-/opt/sl-parts}
export PATH=$root/bin:$PATH LD_LIBRARY_PATH=/usr/local/cuda-13.0/lib64:${LD_LIBRARY_PATH:-} FFMPEG_PATH=$root/nvdec/ffmpeg PG_BIN=$root/pg/bin
out=${OUT:-/tmp/out}; mkdir -p "$out"
prepare_host() {
  # PostgreSQL refuses root: LocalPostgres runs it as `postgres`. Time zones for Debian's build.
  id -u postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
  [ -e /usr/share/zoneinfo/UTC ] || { mkdir -p /usr/share/zoneinfo && cp -r "$root/pg/zoneinfo/." /usr/share/zoneinfo/; }
}
case "$1" in
  receive)
    mkdir -p "$parts"; cp "$here"/sl.tar.xz.* "$here/sl.chunks" "$parts/" 2>/dev/null || true
    have=$(ls "$parts" | grep -c '^sl\.tar\.xz\.' || true); want=$(cat "$parts/sl.chunks")
    echo "chunks: $have of $want"
    if [ "$have" = "$want" ]; then
      rm -rf "$root"; mkdir -p "$root"; cat "$parts"/sl.tar.xz.* | xz -dc | tar -C "$root" -xf -; rm -rf "$parts"
      chmod 755 "$root"
      prepare_host; node --version; du -sh "$root"
    fi
    # Bundles rebuilt after the archive was made travel beside it (app/*.mjs) and replace the archived ones.
    if [ -d "$here/app" ] && [ -d "$root/app" ]; then cp -v "$here"/app/*.mjs "$root/app/"; fi ;;
  info)
    prepare_host
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
    grep -m1 'model name' /proc/cpuinfo; nproc; free -g | head -2
    ldconfig -p | grep -E 'libnvcuvid|libcuda\.so\.1' || echo "no libnvcuvid/libcuda in the linker cache"
    "$FFMPEG_PATH" -hide_banner -version | head -1
    "$PG_BIN/postgres" --version ;;
  gpu-bench) cd "$root" && node app/gpu-bench.mjs --frame assets/astronaut-256.rgb --out "$out/gpu-bench.json" "${@:2}" ;;
  decode-bench)
    # Bare FFmpeg, the ingest's decode paths for a 1080p60 H.264 clip to a 256×256 RGB letterbox, N processes at once
    # per N given: wall time and the FFmpegs' CPU (user+sys, from the shell's children times) per frame.
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
          pids=(); for i in $(seq "$n"); do "$FFMPEG_PATH" -hide_banner -loglevel error -nostdin "${in[@]}" -i "$clip" -vf "$vf" -vsync 0 -f rawvideo -y /dev/null & pids+=($!); done
          failed=0; for p in "${pids[@]}"; do wait "$p" || failed=$((failed + 1)); done
          [ $failed = 0 ] || echo "decode $mode x$n: $failed of $n FFmpegs FAILED (figures below are not valid)"
          wall=$(( ($(date +%s%N) - start) / 1000000 )); times > /tmp/decode-times
          cpu=$(tail -1 /tmp/decode-times | awk '{ s = 0; for (i = 1; i <= 2; i++) { split($i, t, /[ms]/); s += t[1] * 60 + t[2] } print s }')
          awk -v m="$mode" -v n="$n" -v w="$wall" -v c="$cpu" -v f=$((n * frames)) 'BEGIN { printf "decode %-18s x%-3d %6d ms wall  %6.0f fps  CPU %7.1f s  %6.0f us/frame\n", m, n, w, f * 1000 / w, c, c * 1e6 / f }' )
      done
    done | tee "$out/decode-bench.txt" ;;
  fleet)
    name=$2 sessions=$3 replicas=$4 seconds=$5 model=$6 batch=$7 hwaccel=$8 fps=${9:-60}
    prepare_host
    prof=(); [ -n "${CPU_PROF:-}" ] && { rm -rf "/tmp/prof-$name"; prof=(--cpu-prof "/tmp/prof-$name"); }
    cd "$root" && node app/bench.mjs --bundles "$root/app" --provider cuda --modes live --fps "$fps" \
      --sessions "$sessions" --inference-replicas "$replicas" --seconds "$seconds" --warmup 5 --skip-baselines \
      --model "$model" --max-batch "$batch" --ingest-hwaccel "$hwaccel" --json "$out/$name.json" "${prof[@]}" > "$out/$name.md" 2> "/tmp/$name.err" \
      || { grep -v 'onnxruntime:' "/tmp/$name.err" | tail -30; exit 1; }
    grep -E 'HWACCEL|hardware decoding' "/tmp/$name.err" | head -3 || true
    cat "$out/$name.md"
    if [ -n "${CPU_PROF:-}" ]; then
      for f in $(find "/tmp/prof-$name" -name '*.cpuprofile' | sort); do
        echo "== $f"; node "$here/profile-summary.mjs" "$f" --top 12
      done > "$out/$name-prof.txt" 2>&1; head -c 6000 "$out/$name-prof.txt"
    fi ;;
  *) echo "unknown step $1" >&2; exit 2 ;;
esac
