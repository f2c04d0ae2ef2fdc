#!/usr/bin/env bash
# Packs the GPU proof: a self-contained archive that, on a machine with an NVIDIA GPU, CMake and the
# CUDA toolkit (nvcc) but no Node.js, no npm packages and no network, builds llama.cpp's CUDA backend
# for node-llama-cpp, generates a random-weight model and runs the inference worker's engine
# benchmark on CUDA. What it carries (about 50 MiB compressed): this machine's Node binary (stripped),
# the benchmark and the model generator bundled with esbuild, node-llama-cpp with its runtime
# dependencies, the llama.cpp source node-llama-cpp pins (from its own git bundle), Node's headers.
# Usage: bash deploy/gpu-proof/pack.sh [OUT.tar.xz]   (default .local/gpu-proof/hearth-gpu-proof.tar.xz)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="${1:-$ROOT/.local/gpu-proof/hearth-gpu-proof.tar.xz}"
NODE_BIN="$(command -v node)"
NLC="$ROOT/node_modules/node-llama-cpp"
STAGE="$(mktemp -d)"
trap 'rm -rf "$STAGE"' EXIT
APP="$STAGE/hearth-gpu-proof"
mkdir -p "$APP/bin" "$APP/app/node_modules"

echo "pack.sh: node $("$NODE_BIN" --version) from $NODE_BIN" >&2
cp "$NODE_BIN" "$APP/bin/node"
strip --strip-all "$APP/bin/node" 2>/dev/null || true

# Node's headers for the addon build (what cmake-js would otherwise download).
NODE_PREFIX="$(dirname "$(dirname "$(readlink -f "$NODE_BIN")")")"
HEADERS="$NODE_PREFIX/include/node"
[[ -f "$HEADERS/node_api.h" ]] || { echo "pack.sh: Node headers not found at $HEADERS" >&2; exit 1; }
# Only Node-API's headers: the addon is built on node-addon-api, never against V8, libuv or OpenSSL.
mkdir -p "$APP/node-headers/include/node"
cp -a "$HEADERS"/node_api*.h "$HEADERS"/js_native_api*.h "$APP/node-headers/include/node/"

# The benchmark and the model generator, bundled; node-llama-cpp stays a real package next to them.
ESBUILD="$ROOT/node_modules/.bin/esbuild"
common=(--bundle --platform=node --format=cjs --target=node20 --log-level=warning
  "--tsconfig=$ROOT/tsconfig.base.json" --external:node-llama-cpp)
"$ESBUILD" "$ROOT/apps/inference/inference-worker/scripts/engine-bench.ts" "${common[@]}" \
  --outfile="$APP/app/engine-bench.cjs"
"$ESBUILD" "$ROOT/deploy/gpu-proof/make-model.ts" "${common[@]}" \
  "--alias:@hearth/testing=$ROOT/libs/testing/src/gguf/index.ts" --outfile="$APP/app/make-model.cjs"

# node-llama-cpp and its runtime dependency closure, without any prebuilt binary.
"$NODE_BIN" - "$ROOT" "$APP/app/node_modules" <<'JS'
const fs = require('node:fs');
const path = require('node:path');
const [root, target] = process.argv.slice(2);
const seen = new Set();
function locate(name, from) {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (fs.existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (dir === path.dirname(dir)) throw new Error(`cannot find ${name} from ${from}`);
  }
}
function visit(dir) {
  if (seen.has(dir)) return;
  seen.add(dir);
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
  for (const dep of Object.keys(manifest.dependencies ?? {})) visit(locate(dep, dir));
}
visit(locate('node-llama-cpp', root));
for (const dir of seen) {
  const relative = path.relative(path.join(root, 'node_modules'), dir);
  fs.cpSync(dir, path.join(target, relative), {
    recursive: true,
    filter: (src) => !/gitRelease\.bundle$|\/(bins|localBuilds)(\/|$)/.test(src),
  });
}
console.error(`pack.sh: ${seen.size} packages`);
JS
# The llama.cpp release node-llama-cpp was published with, out of its own git bundle.
git clone --quiet "$NLC/llama/gitRelease.bundle" "$APP/app/node_modules/node-llama-cpp/llama/llama.cpp"
# Without what the addon build never reads (vocab test models, docs, tests, benchmarks): 120 MB less.
(cd "$APP/app/node_modules/node-llama-cpp/llama/llama.cpp" && rm -rf .git models docs media benches tests)
# The packages the builds are installed as (the names node-llama-cpp looks for binaries under), empty.
for pkg in linux-x64 linux-x64-cuda; do
  src="$ROOT/node_modules/@node-llama-cpp/$pkg"
  mkdir -p "$APP/app/node_modules/@node-llama-cpp/$pkg"
  cp -a "$src/package.json" "$src/dist" "$APP/app/node_modules/@node-llama-cpp/$pkg/"
  cp "$src/bins/$pkg/_nlcBuildMetadata.json" "$APP/app/nlc-build-metadata.$pkg.json"
done

cp "$ROOT/deploy/gpu-proof/run.sh" "$APP/run.sh"
chmod +x "$APP/run.sh"

mkdir -p "$(dirname "$OUT")"
tar -C "$STAGE" -cf - hearth-gpu-proof | xz -T0 -6 >"$OUT"
echo "pack.sh: wrote $OUT ($(du -m "$OUT" | cut -f1) MiB); on the GPU machine: tar -xJf $(basename "$OUT") && hearth-gpu-proof/run.sh" >&2
