#!/bin/sh
# Stand-in for the Compose v2 CLI plugin, which Debian does not package: it registers with the docker CLI and refuses.
if [ "${1:-}" = docker-cli-plugin-metadata ]; then
  echo '{"SchemaVersion":"0.1.0","Vendor":"Sightline stand-in","Version":"0","ShortDescription":"Compose v2 is not available in this stand-in"}'
  exit 0
fi
echo "docker compose: the Compose v2 plugin is not part of this stand-in image (no container registry here)" >&2
exit 1
