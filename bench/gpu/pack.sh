#!/usr/bin/env bash
# Packs everything the GPU host needs into one archive split into transfer-sized chunks (tmp/gpu/ship/sl.tar.xz.*,
# 52 MiB each: the device tool carries 64 MiB a call, the repository included). What is in it, under /opt/sl there:
#   app/      the services and bench scripts as single-file bundles + the packages they load from disk (stage.mjs),
#             onnxruntime-node's CPU binding and its CUDA provider (CUDA 13 build from npm
#             com.github.asus4.onnxruntime.linux-x64-gpu@0.4.9, same ORT 1.29.0; cubins of other GPUs than sm_90 zeroed
#             by strip-fatbin.py: 230 MB → 38 MB xz)
#   models/   the vendored models;  assets/  the correctness frame;  bin/  node, nats-server
#   nvdec/    Debian's FFmpeg (built with nvdec/cuvid and scale_cuda) and the libraries it links, behind a wrapper
#             script; it is also the FFmpeg @ffmpeg-installer finds (software decode and the bench's clips)
#   pg/       Debian's PostgreSQL server (initdb, postgres, psql), relocatable, with its libraries, behind wrappers
# Needs: a built workspace (npm run build), Debian's ffmpeg and postgresql installed here, the npm registry (npm pack).
# Usage: [XZ_LEVEL=9] [CHUNK_MIB=52] [GPU_PACK_DIR=DIR] bench/gpu/pack.sh   (xz -6 by default; -3 packs in a third of
# the time, a little larger; GPU_PACK_DIR puts stage/, ship/ and work/ there instead of tmp/gpu/) — then see remote.sh and
# docs/benchmarks.md for the runs.
set -euo pipefail
cd "$(dirname "$0")/../.."
pack=${GPU_PACK_DIR:-tmp/gpu}; ship=$pack/ship; stage=$pack/stage; work=$pack/work
rm -rf "$stage" "$ship"; mkdir -p "$ship" "$stage"/{bin,assets} "$work"

# Shared libraries of the given binaries, minus what every Linux has (glibc, and the C++ runtime: the host's is
# newer and must win for node and ORT).
deps() { ldd "$@" | awk '/=>/ {print $3}' | sort -u | grep -v -E '/(libc|libm|libpthread|libdl|librt|libresolv|libstdc\+\+|libgcc_s)\.so|ld-linux'; }

echo "bundles and the packages they load from disk (stage.mjs)"
node bench/gpu/stage.mjs "$stage"

echo "runtime: node, nats-server"
strip -o "$stage/bin/node" "$(command -v node)"
cp "$(command -v nats-server)" "$stage/bin/"
cp libs/local-infra/assets/astronaut.png "$stage/assets/"
# The astronaut photo on a 1080p canvas at (700, 300), letterboxed to 256×256 exactly as ingest does: the correctness frame.
ffmpeg -hide_banner -loglevel error -y -f lavfi -i color=c=0x808080:size=1920x1080 \
  -i libs/local-infra/assets/astronaut.png -filter_complex "[0:v][1:v]overlay=700:300,scale=256:144:flags=area,pad=256:256:0:56,format=rgb24" \
  -frames:v 1 -f rawvideo "$stage/assets/astronaut-256.rgb"

echo "CUDA provider (npm pack com.github.asus4.onnxruntime.linux-x64-gpu@0.4.9)"
if [ ! -f "$work/package/Plugins/Linux/x64/libonnxruntime_providers_cuda.so" ]; then
  (cd "$work" && npm pack --silent com.github.asus4.onnxruntime.linux-x64-gpu@0.4.9 >/dev/null && tar xzf com.github.asus4.onnxruntime.linux-x64-gpu-0.4.9.tgz)
fi
ort=$stage/app/node_modules/onnxruntime-node/bin/napi-v6/linux/x64
python3 bench/gpu/strip-fatbin.py "$work/package/Plugins/Linux/x64/libonnxruntime_providers_cuda.so" "$ort/libonnxruntime_providers_cuda.so"
cp "$work/package/Plugins/Linux/x64/libonnxruntime_providers_shared.so" "$ort/"

echo "Debian FFmpeg with nvdec (ingest, bench clips) and its libraries"
nvdec=$stage/nvdec; mkdir -p "$nvdec"/{bin,lib}
cp /usr/bin/ffmpeg "$nvdec/bin/"
deps /usr/bin/ffmpeg | xargs -I{} cp -L {} "$nvdec/lib/"
printf '#!/bin/sh\nhere=$(dirname "$(readlink -f "$0")")\nLD_LIBRARY_PATH="$here/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" exec "$here/bin/ffmpeg" "$@"\n' > "$nvdec/ffmpeg"
chmod +x "$nvdec/ffmpeg"
ln -sf ../../../../nvdec/ffmpeg "$stage/app/node_modules/@ffmpeg-installer/linux-x64/ffmpeg"

echo "Debian PostgreSQL (relocatable: bin, lib and share keep their relative places)"
pgv=$(ls /usr/lib/postgresql | sort -n | tail -1); pg=$stage/pg
mkdir -p "$pg/lib/postgresql/$pgv/bin" "$pg/share/postgresql" "$pg/libs" "$pg/bin" "$pg/zoneinfo"
cp /usr/lib/postgresql/$pgv/bin/{initdb,postgres,psql} "$pg/lib/postgresql/$pgv/bin/"
# Without the JIT (llvmjit needs libLLVM, 105 MB; the fleet's queries are too small to be compiled anyway).
cp -r /usr/lib/postgresql/$pgv/lib "$pg/lib/postgresql/$pgv/"; rm -rf "$pg/lib/postgresql/$pgv/lib"/{bitcode,llvmjit*}
cp -r /usr/share/postgresql/$pgv "$pg/share/postgresql/"
deps /usr/lib/postgresql/$pgv/bin/{initdb,postgres,psql} "$pg/lib/postgresql/$pgv/lib"/*.so | xargs -I{} cp -L {} "$pg/libs/"
for b in initdb postgres psql; do
  printf '#!/bin/sh\nhere=$(dirname "$(readlink -f "$0")")\nLD_LIBRARY_PATH="$here/../libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" exec "$here/../lib/postgresql/%s/bin/%s" "$@"\n' "$pgv" "$b" > "$pg/bin/$b"
  chmod +x "$pg/bin/$b"
done
# The libraries both carry (ICU, OpenSSL, Kerberos …, ≈ 52 MB) travel once: tar stores a hard link as a reference.
for f in "$pg/libs"/*; do n=$nvdec/lib/${f##*/}; if [ -f "$n" ] && cmp -s "$f" "$n"; then ln -f "$n" "$f"; fi; done
# Debian's PostgreSQL reads time zones from /usr/share/zoneinfo: remote.sh installs these where the host has none.
cp -r /usr/share/zoneinfo/{UTC,Etc} "$pg/zoneinfo/"

echo "archive, in chunks"
du -sh "$stage"/*
# Chunks of CHUNK_MIB (52 by default): a call carries 64 MiB with the working tree (≈ 8 MiB), so one chunk a call.
tar -C "$stage" -cf - . | xz -T2 -"${XZ_LEVEL:-6}" | split -b "${CHUNK_MIB:-52}M" - "$ship/sl.tar.xz."
ls "$ship" | grep -c '^sl\.tar\.xz\.' > "$ship/sl.chunks"
(cd "$ship" && sha256sum sl.tar.xz.* > sl.sha256)
ls -la "$ship"
