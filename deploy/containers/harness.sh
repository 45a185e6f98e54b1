#!/usr/bin/env bash
# `npm run test:containers`: our CPU images built from deploy/docker/Dockerfile and deploy/backup/Dockerfile, and the
# compose fleet run on real containers (deploy/containers/*.containers.spec.ts).
#   1. Debian's docker.io, docker-compose (v1) and debootstrap, installed when missing (root);
#   2. dockerd started when none answers, and stopped on exit (only the one started here);
#   3. the upstream base images pulled, or, where no registry answers, stand-ins built from Debian packages
#      (deploy/containers/stand-ins/) and tagged with the upstream names; the bookworm base is cached in the engine;
#   4. our images built by compose from the compose file's own build sections (BuildKit, layer cache kept);
#   5. the container tests.
# Environment: DOCKER (the CLI that drives the engine; default: Debian's); for a dockerd started here:
# SIGHTLINE_CONTAINERS_DOCKER_ROOT (its --data-root: images and build cache; default Docker's), and
# SIGHTLINE_CONTAINERS_KEEP_DOCKERD=1 to leave it running.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
log() { printf '[containers %(%H:%M:%S)T] %s\n' -1 "$*"; }
started=$SECONDS

# ---- 1. packages -----------------------------------------------------------------------------------------------------
missing=()
for p in docker.io docker-compose debootstrap; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  [[ $(id -u) == 0 ]] || { echo "install as root: apt-get install ${missing[*]}" >&2; exit 1; }
  log "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Debian's CLI matches Debian's engine and has BuildKit built in (a newer static CLI wants the buildx plugin).
export DOCKER=${DOCKER:-$( [[ -x /usr/bin/docker ]] && echo /usr/bin/docker || command -v docker )}
export DOCKER_BUILDKIT=1 COMPOSE_DOCKER_CLI_BUILD=1

# ---- 2. the engine ---------------------------------------------------------------------------------------------------
state=${SIGHTLINE_CONTAINERS_STATE:-/var/tmp/sightline-containers}
mkdir -p "$state"
dockerd_pid= context= created_env=()
cleanup() {
  [[ -z $context ]] || rm -rf "$context"
  ((${#created_env[@]} == 0)) || rm -f "${created_env[@]}"
  [[ ${SIGHTLINE_CONTAINERS_KEEP_DOCKERD:-} == 1 ]] || stop_dockerd
}
trap cleanup EXIT
stop_dockerd() {
  [[ -n $dockerd_pid ]] || return 0
  log "stopping the dockerd started here (pid $dockerd_pid)"
  kill "$dockerd_pid" 2>/dev/null || true
  for _ in $(seq 60); do kill -0 "$dockerd_pid" 2>/dev/null || return 0; sleep 1; done
  kill -9 "$dockerd_pid" 2>/dev/null || true
}
if ! "$DOCKER" info >/dev/null 2>&1; then
  log "starting dockerd (log: $state/dockerd.log)"
  dockerd --storage-driver overlay2 ${SIGHTLINE_CONTAINERS_DOCKER_ROOT:+--data-root "$SIGHTLINE_CONTAINERS_DOCKER_ROOT"} \
    >"$state/dockerd.log" 2>&1 &
  dockerd_pid=$!
  for _ in $(seq 60); do "$DOCKER" info >/dev/null 2>&1 && break; sleep 1; done
  "$DOCKER" info >/dev/null || { tail -20 "$state/dockerd.log" >&2; exit 1; }
fi

# ---- 3. base images ----------------------------------------------------------------------------------------------------
# The names our files use, read from them (so a version bump there is followed here).
node_version=$(sed -n 's/^ARG NODE_VERSION=//p' deploy/docker/Dockerfile)
pg_major=$(sed -n 's/^ARG PG_MAJOR=//p' deploy/backup/Dockerfile)
docker_cli_image=$(sed -n 's/^ARG DOCKER_CLI_IMAGE=//p' deploy/docker/Dockerfile)
cuda_image=$(sed -n 's/^ARG CUDA_IMAGE=//p' deploy/docker/Dockerfile)
compose_default() { sed -n "s/.*\${$1:-\([^}]*\)}.*/\1/p" docker-compose.yml | head -1; }
declare -A upstream=(
  [node]="node:${node_version}-bookworm-slim" [postgres]="postgres:${pg_major}-bookworm"
  [nats]=$(compose_default NATS_IMAGE) [caddy]=$(compose_default CADDY_IMAGE) [minio]=$(compose_default MINIO_IMAGE)
  [docker-cli]=$docker_cli_image [cuda]=$cuda_image
)
base=sightline-standin/bookworm:minbase
if timeout 30 "$DOCKER" pull -q "${upstream[node]}" >/dev/null 2>&1; then
  log "a registry answers: pulling the upstream images"
  # The CUDA base (several GB) is pulled by the GPU stage's build below.
  for target in "${!upstream[@]}"; do [[ $target == cuda ]] || "$DOCKER" pull -q "${upstream[$target]}" >/dev/null; done
else
  log "no registry: stand-ins built from Debian packages"
  if ! "$DOCKER" image inspect "$base" >/dev/null 2>&1; then
    mirror=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)
    mirror=${mirror:-$(awk '$1 == "deb" { print $2; exit }' /etc/apt/sources.list 2>/dev/null)}
    rootfs=$(mktemp -d "$state/rootfs.XXXXXX")
    log "debootstrap --variant=minbase bookworm from $mirror"
    nice -n 10 debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$state/debootstrap.log" 2>&1 \
      || { tail -20 "$state/debootstrap.log" >&2; exit 1; }
    # The image's apt uses the same sources as this machine (security and updates included).
    if [[ -f /etc/apt/sources.list.d/debian.sources ]]; then
      cp /etc/apt/sources.list.d/debian.sources "$rootfs/etc/apt/sources.list.d/" && rm -f "$rootfs/etc/apt/sources.list"
    fi
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
    tar -C "$rootfs" -c . | "$DOCKER" import -c 'CMD ["bash"]' - "$base" >/dev/null
    rm -rf "$rootfs"
  fi
  context=$(mktemp -d "$state/stand-ins.XXXXXX")
  cp -a deploy/containers/stand-ins/. "$context/"
  mkdir -p "$context/node/bin" "$context/docker-cli"
  node_bin=$(command -v node)
  cp "$node_bin" "$context/node/bin/node"
  cp -a "$(dirname "$(readlink -f "$(command -v npm)")")/.." "$context/node/npm"
  cp "$(readlink -f /usr/bin/docker)" "$context/docker-cli/docker"
  cp /etc/ssl/certs/ca-certificates.crt "$context/ca-certificates.crt"
  s3rver_version=$(node -p "require('./package-lock.json').packages['node_modules/s3rver'].version")
  for target in node nats caddy postgres minio docker-cli cuda; do
    log "stand-in ${upstream[$target]}"
    nice -n 10 "$DOCKER" build -q --target "$target" --build-arg "S3RVER_VERSION=$s3rver_version" \
      --label "org.opencontainers.image.description=Sightline stand-in for ${upstream[$target]}" \
      -t "${upstream[$target]}" "$context" >/dev/null
  done
fi
log "base images ready after $((SECONDS - started)) s"

# ---- 4. our images -------------------------------------------------------------------------------------------------
export SIGHTLINE_REGISTRY=${SIGHTLINE_REGISTRY:-sightline-ci} SIGHTLINE_IMAGE_TAG=${SIGHTLINE_IMAGE_TAG:-ci}
export COMPOSE_FILE=docker-compose.yml:deploy/docker/compose.cpu.yml COMPOSE_PROFILES=autoscaler
# Variables compose insists on; the build does not use them.
export POSTGRES_PASSWORD=unused POSTGRES_AUTH_PASSWORD=unused POSTGRES_PERSISTENCE_PASSWORD=unused POSTGRES_TRACKER_PASSWORD=unused BACKUP_S3_ACCESS_KEY=unused BACKUP_S3_SECRET_KEY=unused BACKUP_REPO_CIPHER_PASS=unused
for identity in PROVISIONER INGEST INFERENCE PERSISTENCE GATEWAY TRACKER; do export "NATS_${identity}_PASSWORD=unused"; done
for key in ELASTIC_PASSWORD KIBANA_SYSTEM_PASSWORD KIBANA_ENCRYPTION_KEY FLUENTD_ES_PASSWORD ELASTALERT_ES_PASSWORD FLUENTD_FORWARD_SHARED_KEY; do export "$key=unused"; done
for f in deploy/env/*.env.example; do [[ -f ${f%.example} ]] || { cp "$f" "${f%.example}"; created_env+=("${f%.example}"); }; done
images=(postgres auth persistence inference gateway ingest console tracker autoscaler)
log "building ${images[*]} (docker-compose build; BuildKit layer cache)"
build_started=$SECONDS
PATH=$(dirname "$DOCKER"):$PATH nice -n 10 docker-compose --project-name sightline-build build "${images[@]}"
rm -f "${created_env[@]}"
created_env=()
log "our images built in $((SECONDS - build_started)) s"
# The GPU inference image's stage, every step of it, on the CUDA base (a stand-in without CUDA where no registry
# answers) and without ORT's CUDA provider, which only NuGet serves (CUDA_PROVIDERS=build; the Dockerfile says why).
export SIGHTLINE_GPU_CHECK_IMAGE=$SIGHTLINE_REGISTRY/sightline-inference:$SIGHTLINE_IMAGE_TAG-gpu-check
gpu_started=$SECONDS
nice -n 10 "$DOCKER" build -q -f deploy/docker/Dockerfile --target inference-gpu --build-arg CUDA_PROVIDERS=build \
  --build-arg APP=inference --build-arg PORT=3002 -t "$SIGHTLINE_GPU_CHECK_IMAGE" . >/dev/null
log "GPU stage (without the CUDA provider) built in $((SECONDS - gpu_started)) s"

# ---- 5. tests --------------------------------------------------------------------------------------------------------
# The autoscaler test runs apps/autoscaler on this machine (see the test): its build must be current.
npx tsc -b apps/autoscaler/tsconfig.json
npx vitest run --config deploy/containers/vitest.config.ts "$@"
log "done in $((SECONDS - started)) s"
