#!/usr/bin/env bash
# Packs what the GPU host needs into transfer-sized parts under tmp/gpu/ship/ (each < 64 MiB, the device tool's limit):
#   part1.tar.xz  node, nats-server, service + bench bundles, onnxruntime-node (CPU build), models, test media
#   cuda.tar      onnxruntime's CUDA provider (CUDA 13 build from npm com.github.asus4.onnxruntime.linux-x64-gpu,
#                 same ORT 1.29.0), its cubins for other GPUs than sm_90 zeroed (strip-fatbin.py): 230 MB → 38 MB xz
#   ffmpeg.xz     the static FFmpeg from @ffmpeg-installer (for ingest on the host)
#   nvdec.tar.xz.aa, .ab  with --nvdec: Debian's FFmpeg (built with nvdec) and the shared libraries it links, for
#                 INGEST_HWACCEL=cuda on the host (needs `apt-get install ffmpeg` here; ~82 MB xz, two transfers)
# Needs: a built workspace (npm run build), network access to the npm registry (npm pack). See docs/benchmarks.md.
# Usage: bench/gpu/pack.sh [--nvdec]
set -euo pipefail
cd "$(dirname "$0")/../.."
ship=tmp/gpu/ship; stage=tmp/gpu/stage; work=tmp/gpu/work
rm -rf "$stage" "$ship"; mkdir -p "$ship" "$stage"/{bin,assets} "$work"

echo "bundling services and bench scripts, with the packages they load from disk (stage.mjs)"
node bench/gpu/stage.mjs "$stage"

echo "runtime: node, nats-server"
strip -o "$stage/bin/node" "$(command -v node)"
cp "$(command -v nats-server)" "$stage/bin/"
cp libs/local-infra/assets/astronaut.png "$stage/assets/"
# The astronaut photo on a 1080p canvas at (700, 300), letterboxed to 256×256 exactly as ingest does: the correctness frame.
node_modules/@ffmpeg-installer/linux-x64/ffmpeg -hide_banner -loglevel error -y -f lavfi -i color=c=0x808080:size=1920x1080 \
  -i libs/local-infra/assets/astronaut.png -filter_complex "[0:v][1:v]overlay=700:300,scale=256:144:flags=area,pad=256:256:0:56,format=rgb24" \
  -frames:v 1 -f rawvideo "$stage/assets/astronaut-256.rgb"
tar -C "$stage" -cf - . | xz -T2 -6 > "$ship/part1.tar.xz"

echo "CUDA provider (npm pack com.github.asus4.onnxruntime.linux-x64-gpu@0.4.9)"
if [ ! -f "$work/package/Plugins/Linux/x64/libonnxruntime_providers_cuda.so" ]; then
  (cd "$work" && npm pack --silent com.github.asus4.onnxruntime.linux-x64-gpu@0.4.9 >/dev/null && tar xzf com.github.asus4.onnxruntime.linux-x64-gpu-0.4.9.tgz)
fi
mkdir -p "$work/cuda"
python3 bench/gpu/strip-fatbin.py "$work/package/Plugins/Linux/x64/libonnxruntime_providers_cuda.so" "$work/cuda/libonnxruntime_providers_cuda.so"
cp "$work/package/Plugins/Linux/x64/libonnxruntime_providers_shared.so" "$work/cuda/"
tar -C "$work/cuda" -cf - . | xz -T2 -6 > "$ship/cuda.tar.xz"

echo "ffmpeg"
xz -T2 -6 -c node_modules/@ffmpeg-installer/linux-x64/ffmpeg > "$ship/ffmpeg.xz"
ls -la "$ship"

if [ "${1:-}" = "--nvdec" ]; then
  echo "Debian FFmpeg with nvdec and its libraries (glibc itself comes from the host, which is newer)"
  nvdec=$work/nvdec; rm -rf "$nvdec"; mkdir -p "$nvdec"/{bin,lib}
  cp /usr/bin/ffmpeg "$nvdec/bin/"
  ldd /usr/bin/ffmpeg | awk '/=>/ {print $3}' | grep -v -E '/(libc|libm|libpthread|libdl|librt)\.so|ld-linux' | xargs -I{} cp -L {} "$nvdec/lib/"
  printf '#!/bin/sh\nhere=$(dirname "$(readlink -f "$0")")\nLD_LIBRARY_PATH="$here/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" exec "$here/bin/ffmpeg" "$@"\n' > "$nvdec/ffmpeg"
  chmod +x "$nvdec/ffmpeg"
  tar -C "$nvdec" -cf - . | xz -T2 -6 | split -b 45M - "$ship/nvdec.tar.xz."
  ls -la "$ship"/nvdec.tar.xz.*
fi
