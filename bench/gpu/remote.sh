#!/usr/bin/env bash
# Runs on the GPU host (through the device tool) in the repository copy. Steps, one per transfer:
#   remote.sh unpack-part1 | unpack-cuda | unpack-ffmpeg | unpack-nvdec | gpu-bench [ARGS]
#             | fleet N [REPLICAS] [SECONDS] [MODEL] [MAX_BATCH] [INTRA_OP_THREADS] [HWACCEL (none|cuda)]
# unpack-nvdec expects nvdec.tar.xz.aa in one transfer and .ab in the next: it unpacks once both have arrived.
# Everything lives under /root/sl, which survives between calls while the host stays warm.
set -euo pipefail
repo=$(pwd); root=/root/sl; ship=$repo/tmp/gpu/ship
export PATH=$root/bin:$PATH LD_LIBRARY_PATH=/usr/local/cuda-13.0/lib64:${LD_LIBRARY_PATH:-} FFMPEG_PATH=$root/bin/ffmpeg
ort=$root/app/node_modules/onnxruntime-node/bin/napi-v6/linux/x64
out=${OUT:-/tmp/out}
case "$1" in
  unpack-part1) rm -rf "$root"; mkdir -p "$root"; xz -dc "$ship/part1.tar.xz" | tar -C "$root" -xf -; node --version ;;
  unpack-cuda) xz -dc "$ship/cuda.tar.xz" | tar -C "$ort" -xf -; ls -la "$ort" ;;
  unpack-ffmpeg)
    xz -dc "$ship/ffmpeg.xz" > "$root/bin/ffmpeg"; chmod +x "$root/bin/ffmpeg"
    ln -sf "$root/bin/ffmpeg" "$root/app/node_modules/@ffmpeg-installer/linux-x64/ffmpeg"; ffmpeg -version | head -1 ;;
  unpack-nvdec)
    mkdir -p "$root/nvdec-parts"; cp "$ship"/nvdec.tar.xz.* "$root/nvdec-parts/"
    if [ -f "$root/nvdec-parts/nvdec.tar.xz.aa" ] && [ -f "$root/nvdec-parts/nvdec.tar.xz.ab" ]; then
      mkdir -p "$root/nvdec"; cat "$root"/nvdec-parts/nvdec.tar.xz.* | xz -dc | tar -C "$root/nvdec" -xf -
      "$root/nvdec/ffmpeg" -hide_banner -hwaccels
      # NVDEC needs the driver's libnvcuvid next to libcuda (containers: NVIDIA_DRIVER_CAPABILITIES with `video`).
      ldconfig -p | grep -E 'libnvcuvid|libcuda\.so' || echo "no libnvcuvid/libcuda in the linker cache"
    else ls -la "$root/nvdec-parts"; fi ;;
  gpu-bench) cd "$root" && node app/gpu-bench.mjs --frame assets/astronaut-256.rgb --out "$out/gpu-bench.json" "${@:2}" ;;
  fleet)
    sessions=$2; replicas=${3:-1}; seconds=${4:-20}; model=${5:-blazeface-back-256}; batch=${6:-8}; threads=${7:-1}; hwaccel=${8:-none}
    name=fleet-$sessions-$replicas-$model-b$batch-t$threads-$hwaccel
    decode=(); [ "$hwaccel" = none ] || decode=(--ingest-hwaccel "$hwaccel" --ffmpeg "$root/nvdec/ffmpeg")
    cd "$root" && node app/bench.mjs --bundles "$root/app" --no-postgres --provider cuda --modes live \
      --sessions "$sessions" --inference-replicas "$replicas" --seconds "$seconds" --warmup 5 --skip-baselines \
      --model "$model" --max-batch "$batch" --intra-op-threads "$threads" "${decode[@]}" --json "$out/$name.json" > "$out/$name.md"
    cat "$out/$name.md" ;;
  *) echo "unknown step $1" >&2; exit 2 ;;
esac
