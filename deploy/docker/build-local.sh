#!/usr/bin/env bash
# Opt-in image check on a machine without Docker or registry access: assembles a Node base from
# Debian packages (mmdebstrap, Debian trixie: Node.js 20.19), builds the `services` and
# `inference-worker-cpu` images from deploy/docker/Dockerfile with buildah (vfs storage, chroot
# isolation, the host's network for npm and the Go module proxy), then starts each with a read-only
# root filesystem as UID 10001 and waits for its health check (gRPC health of the safety service and
# the worker on a generated tiny model; /healthz of the BFF against the local infrastructure).
# The CUDA image needs NVIDIA's base image, which no Debian package provides: it is not built here.
# Needs root (or rootless buildah with subuids), and: apt-get install buildah podman mmdebstrap
# Usage: bash deploy/docker/build-local.sh        Not part of npm test.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
WORK="$ROOT/.local/images"
STORE=(--storage-driver vfs --root "$WORK/storage" --runroot "$WORK/run")
BASE=localhost/hearth-debian-node:trixie
TAG="$(git -C "$ROOT" rev-parse --short HEAD)"
mkdir -p "$WORK"

for tool in buildah podman mmdebstrap; do
  command -v "$tool" >/dev/null || { echo "build-local.sh: $tool missing (apt-get install buildah podman mmdebstrap)" >&2; exit 1; }
done

step() { echo; echo "▶ $*"; }

if ! podman "${STORE[@]}" image exists "$BASE"; then
  step "assembling $BASE from Debian packages (mmdebstrap trixie)"
  mmdebstrap --variant=apt --include=nodejs,npm,ca-certificates,tini,python3,make,g++,git,bash,golang-go \
    --customize-hook='mkdir -p "$1/go/bin"' trixie "$WORK/base.tar" http://deb.debian.org/debian
  podman "${STORE[@]}" import "$WORK/base.tar" "$BASE"
  rm -f "$WORK/base.tar"
fi
TINI_VERSION="$(podman "${STORE[@]}" run --rm --network host "$BASE" dpkg-query -W -f '${Version}' tini)"

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
run() {
  local name="$1"
  shift
  podman "${STORE[@]}" rm -f "$name" >/dev/null 2>&1 || true
  podman "${STORE[@]}" run -d --name "$name" --network host --read-only --tmpfs /tmp --user 10001:10001 \
    --cap-drop ALL --security-opt no-new-privileges "$@" >/dev/null
}
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
  podman "${STORE[@]}" logs "$name" >&2 || true
  return 1
}

step "starting the images and waiting for their health checks"
MODELS="$WORK/models"
mkdir -p "$MODELS"
(cd "$ROOT" && npx tsx -e "import('@hearth/testing').then((t) => t.writeTinyGguf('$MODELS/tiny.gguf', { reply: 'ready' }))")
chmod -R a+rX "$MODELS"
run hearth-check-worker -v "$MODELS:/models:ro" -e MODEL_SOURCE=/models/tiny.gguf -e GRPC_HOST=127.0.0.1 -e GRPC_PORT=58056 \
  -e METRICS_PORT=58464 -e WORKER_THREADS=1 "localhost/hearth-inference-worker:$TAG"
run hearth-check-safety -e GRPC_HOST=127.0.0.1 -e GRPC_PORT=58053 -e KAFKA_BROKERS="$KAFKA_BROKERS" "localhost/hearth:$TAG" safety-service
run hearth-check-bff -e HTTP_HOST=127.0.0.1 -e HTTP_PORT=58080 -e DATABASE_URL="$DATABASE_URL" -e REDIS_URL="$REDIS_URL" \
  -e ORCHESTRATOR_ADDRESS=127.0.0.1:58051 -e MODEL_GATEWAY_ADDRESS=127.0.0.1:58055 "localhost/hearth:$TAG" bff
status=0
wait_for "inference-worker (CPU image)" hearth-check-worker "grpc_serving 127.0.0.1:58056" || status=1
wait_for "safety-service (services image)" hearth-check-safety "grpc_serving 127.0.0.1:58053" || status=1
wait_for "bff (services image)" hearth-check-bff "curl -fsS http://127.0.0.1:58080/healthz" || status=1
for name in hearth-check-worker hearth-check-safety hearth-check-bff; do
  podman "${STORE[@]}" stop -t 40 "$name" >/dev/null || true
  podman "${STORE[@]}" rm -f "$name" >/dev/null || true
done
buildah "${STORE[@]}" images --format '{{.Name}}:{{.Tag}} {{.Size}}' | grep -E "hearth(-inference-worker)?:$TAG" || true
exit "$status"
