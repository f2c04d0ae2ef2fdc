#!/usr/bin/env bash
# Opt-in image check on a machine without Docker or registry access: assembles a Node base from
# Debian packages (mmdebstrap, Debian trixie: Node.js 20.19), builds the `services` and
# `inference-worker-cpu` images from deploy/docker/Dockerfile with buildah (vfs storage, chroot
# isolation, the host's network for npm and the Go module proxy), then starts each image's entry
# point as UID 10001 and waits for its health check (gRPC health of the safety service and the worker
# on a generated tiny model; /healthz of the BFF against the local infrastructure). Containers are
# started with `buildah run --isolation chroot` because sandboxes that refuse an OCI runtime's
# setrlimit (crun: "setrlimit RLIMIT_NOFILE: Operation not permitted") cannot `podman run`; a
# read-only root is therefore not enforced here (Kubernetes enforces it; the chart sets it).
# The CUDA image needs NVIDIA's base image, which no Debian package provides: it is not built here.
# Needs root (or rootless buildah with subuids), and: apt-get install buildah podman mmdebstrap
# (podman only imports the assembled base).
# Usage: bash deploy/docker/build-local.sh        Not part of npm test.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
WORK="$ROOT/.local/images"
STORE=(--storage-driver vfs --root "$WORK/storage" --runroot "$WORK/run")
BASE=localhost/hearth-debian-node:trixie
TAG="$(git -C "$ROOT" rev-parse --short HEAD)"
mkdir -p "$WORK"
cd "$ROOT"
MOUNTS=()

for tool in buildah podman mmdebstrap; do
  command -v "$tool" >/dev/null || { echo "build-local.sh: $tool missing (apt-get install buildah podman mmdebstrap)" >&2; exit 1; }
done

step() { echo; echo "▶ $*"; }

if ! podman "${STORE[@]}" image exists "$BASE"; then
  step "assembling $BASE from Debian packages (mmdebstrap trixie)"
  mmdebstrap --variant=apt --include=nodejs,npm,libnode-dev,ca-certificates,tini,python3,make,g++,git,bash,golang-go \
    --customize-hook='mkdir -p "$1/go/bin"' trixie "$WORK/base.tar" http://deb.debian.org/debian
  podman "${STORE[@]}" import "$WORK/base.tar" "$BASE"
  rm -f "$WORK/base.tar"
fi
probe="$(buildah "${STORE[@]}" from "$BASE")"
# A network whose TLS is intercepted by a proxy needs the host's extra CAs inside the build too (the
# registries are reached through it); they go into a derived local base only, never into the images'
# Dockerfile.
if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
  step "adding the host's extra CA certificates to $BASE"
  ctx="$(mktemp -d)"
  cp /usr/local/share/ca-certificates/*.crt "$ctx/"
  printf '%s\n' "FROM $BASE" "COPY *.crt /usr/local/share/ca-certificates/" "RUN update-ca-certificates" \
    "ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt" >"$ctx/Containerfile"
  buildah "${STORE[@]}" bud --isolation chroot -t "$BASE-ca" "$ctx" >/dev/null
  rm -rf "$ctx"
  BASE="$BASE-ca"
fi
TINI_VERSION="$(buildah "${STORE[@]}" run --isolation chroot "$probe" -- dpkg-query -W -f '${Version}' tini)"
buildah "${STORE[@]}" rm "$probe" >/dev/null

build() {
  local target="$1" image="$2"
  step "buildah bud --target $target -> $image"
  buildah "${STORE[@]}" bud --layers --isolation chroot --network host \
    --build-arg NODE_BASE="$BASE" --build-arg GO_BASE="$BASE" --build-arg TINI_VERSION="$TINI_VERSION" \
    --build-arg VERSION="0.0.0-$TAG" --build-arg REVISION="$TAG" \
    -f "$ROOT/deploy/docker/Dockerfile" --target "$target" -t "$image" "$ROOT"
}
build services "localhost/hearth:$TAG"
build inference-worker-cpu "localhost/hearth-inference-worker:$TAG"

eval "$(bash "$ROOT/deploy/local/infra.sh" env)"
PIDS=()
CONTAINERS=()
# run NAME IMAGE [env...] -- ARGS: the image's entry point (tini, hearth.sh) as UID 10001, in the background.
run() {
  local name="$1" image="$2"
  shift 2
  local envs=()
  while [[ $# -gt 0 && "$1" != "--" ]]; do envs+=(--env "$1"); shift; done
  shift
  local ctr
  ctr="$(buildah "${STORE[@]}" from --name "$name" "$image")"
  CONTAINERS+=("$ctr")
  buildah "${STORE[@]}" run --isolation chroot --network host --user 10001:10001 "${envs[@]}" "${MOUNTS[@]}" \
    "$ctr" -- /usr/bin/tini -- /app/deploy/docker/hearth.sh "$@" >"$WORK/$name.log" 2>&1 &
  PIDS+=("$!")
  MOUNTS=()
}
cleanup() {
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  sleep 2
  for ctr in "${CONTAINERS[@]}"; do buildah "${STORE[@]}" rm "$ctr" >/dev/null 2>&1 || true; done
}
trap cleanup EXIT
for stale in hearth-check-worker hearth-check-safety hearth-check-bff; do
  buildah "${STORE[@]}" rm "$stale" >/dev/null 2>&1 || true
done
grpc_serving() {
  node -e "
    const grpc = require('@grpc/grpc-js');
    const loader = require('@grpc/proto-loader');
    const def = loader.loadSync('grpc/health/v1/health.proto', { includeDirs: ['$ROOT/proto'] });
    const Health = grpc.loadPackageDefinition(def).grpc.health.v1.Health;
    new Health('$1', grpc.credentials.createInsecure()).Check({ service: '' }, { deadline: Date.now() + 1000 },
      (err, res) => process.exit(!err && res.status === 'SERVING' ? 0 : 1));"
}
wait_for() {
  local what="$1" name="$2" check="$3"
  for _ in $(seq 1 120); do
    if eval "$check" >/dev/null 2>&1; then echo "✔ $what healthy"; return 0; fi
    sleep 1
  done
  echo "✖ $what did not become healthy; its log:" >&2
  tail -n 30 "$WORK/$name.log" >&2 || true
  return 1
}

step "starting the images and waiting for their health checks"
MODELS="$WORK/models"
mkdir -p "$MODELS"
(cd "$ROOT" && npx tsx -e "import('@hearth/testing').then((t) => t.writeTinyGguf('$MODELS/tiny.gguf', { reply: 'ready' }))")
chmod -R a+rX "$MODELS"
MOUNTS=(--volume "$MODELS:/models:ro")
run hearth-check-worker "localhost/hearth-inference-worker:$TAG" MODEL_SOURCE=/models/tiny.gguf GRPC_HOST=127.0.0.1 \
  GRPC_PORT=58056 METRICS_PORT=58464 WORKER_THREADS=1 -- inference-worker
run hearth-check-safety "localhost/hearth:$TAG" GRPC_HOST=127.0.0.1 GRPC_PORT=58053 KAFKA_BROKERS="$KAFKA_BROKERS" \
  -- safety-service
run hearth-check-bff "localhost/hearth:$TAG" HTTP_HOST=127.0.0.1 HTTP_PORT=58080 DATABASE_URL="$DATABASE_URL" \
  REDIS_URL="$REDIS_URL" ORCHESTRATOR_ADDRESS=127.0.0.1:58051 MODEL_GATEWAY_ADDRESS=127.0.0.1:58055 -- bff
status=0
wait_for "inference-worker (CPU image)" hearth-check-worker "grpc_serving 127.0.0.1:58056" || status=1
wait_for "safety-service (services image)" hearth-check-safety "grpc_serving 127.0.0.1:58053" || status=1
wait_for "bff (services image)" hearth-check-bff "curl -fsS http://127.0.0.1:58080/healthz" || status=1
buildah "${STORE[@]}" images --format '{{.Name}}:{{.Tag}} {{.Size}}' | grep -E "hearth(-inference-worker)?:$TAG" || true
exit "$status"
