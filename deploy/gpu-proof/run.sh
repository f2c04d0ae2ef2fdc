#!/usr/bin/env bash
# GPU proof, run on the GPU machine from the unpacked archive (see pack.sh): needs an NVIDIA driver,
# CMake >= 3.19, a C++ compiler and the CUDA toolkit (nvcc); no Node.js, npm or network.
#   1. builds node-llama-cpp's addon with llama.cpp's CUDA backend for this GPU's architecture (CMake,
#      as node-llama-cpp's own `source build` would, without npm), and a CPU-only build as the peer,
#      each installed where node-llama-cpp looks for its binaries;
#   2. writes a random-weight model (make-model.cjs; GPU_PROOF_LAYERS, _EMBD, _FFN size it);
#   3. runs the inference worker's engine benchmark with WORKER_GPU=cuda (it fails rather than fall
#      back to the CPU), then with WORKER_GPU=cpu on the same model: the peer in the same run.
# GPU_PROOF_MODE=cpu runs the same recipe without CUDA (CPU build and benchmark only), to check the
# archive on a machine without a GPU.
# Usage: hearth-gpu-proof/run.sh [threads]   (default 4)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
THREADS="${1:-4}"
MODE="${GPU_PROOF_MODE:-cuda}"
APP="$HERE/app"
NLC="$APP/node_modules/node-llama-cpp"
export PATH="$HERE/bin:$PATH:/usr/local/cuda/bin"

required=(cmake c++)
[[ "$MODE" == cuda ]] && required+=(nvidia-smi nvcc)
for tool in "${required[@]}"; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool not found" >&2; exit 1; }
done
echo "== machine"
if [[ "$MODE" == cuda ]]; then
  nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap --format=csv
  nvcc --version | tail -n 2
fi
cmake --version | head -n 1
echo "node $(node --version) (carried), $(nproc) cores"

# build PACKAGE [cmake flags...]: the addon and llama.cpp into @node-llama-cpp/PACKAGE/bins/PACKAGE.
build() {
  local pkg="$1"
  shift
  local bins="$APP/node_modules/@node-llama-cpp/$pkg/bins/$pkg"
  local dir="$HERE/build-$pkg"
  [[ -f "$bins/llama-addon.node" ]] && return 0
  echo "== building llama.cpp and node-llama-cpp's addon for $pkg (logs: $dir.log)"
  local started=$SECONDS
  if ! {
    cmake -S "$NLC/llama" -B "$dir" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CONFIGURATION_TYPES=Release \
      -DCMAKE_JS_INC="$HERE/node-headers/include/node" -DCMAKE_JS_SRC= -DCMAKE_JS_LIB= \
      -DNLC_CURRENT_PLATFORM=linux-x64 -DNLC_TARGET_PLATFORM=linux-x64 -DGGML_NATIVE=ON -DGGML_METAL=OFF \
      -DGGML_CCACHE=OFF -DGGML_BUILD_NUMBER=1 -DLLAMA_CURL=OFF -DLLAMA_HTTPLIB=OFF -DLLAMA_BUILD_BORINGSSL=OFF \
      -DLLAMA_OPENSSL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=OFF "$@" &&
      cmake --build "$dir" --config Release --target llama-addon -j "$(nproc)"
  } >"$dir.log" 2>&1; then
    tail -n 40 "$dir.log" >&2
    exit 1
  fi
  mkdir -p "$bins"
  find "$dir" \( -name 'llama-addon.node' -o -name '*.so' -o -name '*.so.*' \) -type f -exec cp {} "$bins/" \;
  cp "$APP/nlc-build-metadata.$pkg.json" "$bins/_nlcBuildMetadata.json"
  echo "built in $((SECONDS - started)) s: $(ls "$bins" | tr '\n' ' ')"
}

[[ "$MODE" == cuda ]] && build linux-x64-cuda -DNLC_VARIANT=cuda -DGGML_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=native
build linux-x64 -DGGML_CUDA=OFF

MODEL="$HERE/gpu-proof.gguf"
[[ -f "$MODEL" ]] || node "$APP/make-model.cjs" "$MODEL"

cd "$APP"
# The random model's byte-level vocabulary makes the benchmark's ~700-word shared prefix ~3000 tokens.
export BENCH_CONTEXT_SIZE=8192
if [[ "$MODE" == cuda ]]; then
  echo "== engine benchmark, WORKER_GPU=cuda, $THREADS threads"
  UV_THREADPOOL_SIZE=1 WORKER_GPU=cuda node engine-bench.cjs "$MODEL" "$THREADS"
  nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv
fi
echo "== engine benchmark, WORKER_GPU=cpu, $THREADS threads (the peer)"
UV_THREADPOOL_SIZE=1 WORKER_GPU=cpu node engine-bench.cjs "$MODEL" "$THREADS"
