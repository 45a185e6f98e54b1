#!/usr/bin/env bash
# Installs the Debian packages Sightline needs on a fresh Debian/Ubuntu machine, then the npm dependencies.
#   runtime : nats-server, PostgreSQL server, FFmpeg (Debian's: security updates; ingest prefers it to the npm build),
#             openssl (the local fleet's NATS TLS certificates)
#   tests   : GStreamer RTSP server (python3 bindings + plugins), Prometheus tools (promtool/amtool), pgBackRest,
#             docker-compose (validates docker-compose.yml without an engine), Caddy (TLS proxy test),
#             Chromium for the web-console browser tests, python3-onnx (re-derives the batched models)
# Usage: deploy/local/install-deps.sh [--runtime-only]
set -euo pipefail
cd "$(dirname "$0")/../.."

runtime=(nats-server postgresql ffmpeg openssl)
testing=(gir1.2-gst-rtsp-server-1.0 python3-gi python3-gst-1.0 gstreamer1.0-plugins-base gstreamer1.0-plugins-good
  gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav gstreamer1.0-tools prometheus
  prometheus-alertmanager pgbackrest jq gettext-base chromium docker-compose caddy python3-onnx)
packages=("${runtime[@]}")
[ "${1:-}" = "--runtime-only" ] || packages+=("${testing[@]}")

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then apt_get=(apt-get); elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then apt_get=(sudo apt-get)
  else
    echo "Missing Debian packages: ${missing[*]}" >&2
    echo "Install them with: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "Installing Debian packages: ${missing[*]}"
  "${apt_get[@]}" update -qq
  DEBIAN_FRONTEND=noninteractive "${apt_get[@]}" install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# A system-wide PostgreSQL service is not needed (we run our own clusters); don't let it hold port 5432.
if [ "$(id -u)" = 0 ] && command -v systemctl >/dev/null 2>&1; then systemctl disable --now postgresql >/dev/null 2>&1 || true; fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "Installing npm dependencies"
  npm ci --no-audit --no-fund --loglevel=error
fi
