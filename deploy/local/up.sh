#!/usr/bin/env bash
# The main job on one machine: installs what is missing, builds, then runs the whole fleet (nats-server with
# JetStream, PostgreSQL, auth, persistence, inference, gateway, ingest) under .data/, starts a demo analysis session
# on a real clip and a demo agent that prints what it receives. Ctrl-C stops everything cleanly.
# Options are passed to the runner: see `node deploy/local/fleet.mjs --help`.
set -euo pipefail
cd "$(dirname "$0")/../.."
deploy/local/install-deps.sh --runtime-only
echo "Building"
npm run build --silent
exec node deploy/local/fleet.mjs "$@"
