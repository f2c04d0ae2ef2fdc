#!/usr/bin/env bash
# Builds the llama-server peer that runs the same CPU kernels as our inference worker, outside this
# repository:
#   1. the llama.cpp source node-llama-cpp ships (node_modules/node-llama-cpp/llama/gitRelease.bundle,
#      the release named in llama.cpp.info.json) with the patches node-llama-cpp applies to it;
#   2. configured as node-llama-cpp builds its prebuilt binaries: Release, shared libraries,
#      GGML_BACKEND_DL=ON and GGML_CPU_ALL_VARIANTS=ON (each CPU variant a loadable module, the best
#      one for the CPU picked at start), GGML_NATIVE=OFF, no OpenMP (node-llama-cpp's CPU modules do
#      not link libgomp), no curl/OpenSSL; only the llama-server target is built;
#   3. every locally built CPU variant is then removed and node-llama-cpp's own prebuilt
#      libggml-cpu-<variant>.so files (all of them) are put beside the binary. ggml scores the variants
#      against the host's CPU at start, the same way in both processes, so llama-server and the worker
#      load the very same CPU backend file: libggml-cpu-sapphirerapids.so (with AMX) on a Sapphire
#      Rapids host, where a locally compiled build of that variant has died with SIGILL;
#      libggml-cpu-zen4.so on an AMD EPYC (Zen 4) host. The benches print the file each process mapped.
#
#   bash bench/peers/build-llama-server.sh OUT_DIR        # prints OUT_DIR/bin/llama-server at the end
#   LLAMA_SERVER_BIN=OUT_DIR/bin/llama-server npx tsx bench/inference/compare.ts MODEL.gguf
#
# GGML_CPU_ALL_VARIANTS=ON only adds the CPU variant modules (14 on x86-64, about 250 of the build's 444
# compile and link steps); ggml-base, ggml, libllama and the server compile with the same commands
# either way (`ninja -t commands llama-server` of both configurations, less the ggml-cpu lines, are
# identical). Those modules are all replaced below, so CPU_VARIANTS=one builds a single baseline module
# instead (removed as well) and ends with a binary compiled by the same commands and the same backend
# files in half the build steps. CPU_VARIANTS=all (the default) configures exactly as node-llama-cpp does.
# BUILD_JOBS (default 2) sets the parallel compile jobs. Needs git, cmake (>= 3.21) and a C++17 compiler;
# ninja is used when present.
set -euo pipefail

out=${1:?usage: build-llama-server.sh OUT_DIR}
repo_root=$(cd "$(dirname "$0")/../.." && pwd)
llama_dir="$repo_root/node_modules/node-llama-cpp/llama"
jobs=${BUILD_JOBS:-2}
case "${CPU_VARIANTS:-all}" in
  all) all_variants=ON ;;
  one) all_variants=OFF ;;
  *) echo "CPU_VARIANTS must be all or one" >&2; exit 1 ;;
esac

case "$(uname -m)" in
  x86_64) prebuilt="$repo_root/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64" ;;
  aarch64) prebuilt="$repo_root/node_modules/@node-llama-cpp/linux-arm64/bins/linux-arm64" ;;
  *) echo "no node-llama-cpp prebuilt CPU backend for $(uname -m)" >&2; exit 1 ;;
esac
[ -f "$llama_dir/gitRelease.bundle" ] || { echo "missing $llama_dir/gitRelease.bundle" >&2; exit 1; }
ls "$prebuilt"/libggml-cpu-*.so >/dev/null || { echo "no prebuilt CPU backends in $prebuilt" >&2; exit 1; }

mkdir -p "$out"
out=$(cd "$out" && pwd)
src="$out/llama.cpp"
if [ ! -d "$src/.git" ]; then
  git clone --quiet "$llama_dir/gitRelease.bundle" "$src"
fi
for patch in "$llama_dir"/patches/*.diff; do
  [ -f "$patch" ] || continue
  # Applied once: a rerun finds it applied (its reverse applies) and leaves the tree as it is.
  if ! git -C "$src" apply --reverse --check "$patch" 2>/dev/null; then
    git -C "$src" apply "$patch"
  fi
done

generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
cmake -S "$src" -B "$out/build" "${generator[@]}" \
  -DCMAKE_BUILD_TYPE=Release \
  -DBUILD_SHARED_LIBS=ON \
  -DGGML_BACKEND_DL=ON \
  -DGGML_CPU_ALL_VARIANTS="$all_variants" \
  -DGGML_NATIVE=OFF \
  -DGGML_OPENMP=OFF \
  -DLLAMA_CURL=OFF \
  -DLLAMA_OPENSSL=OFF \
  -DLLAMA_BUILD_TESTS=OFF \
  -DLLAMA_BUILD_EXAMPLES=OFF \
  -DLLAMA_BUILD_TOOLS=ON \
  -DLLAMA_BUILD_SERVER=ON
cmake --build "$out/build" --target llama-server -j "$jobs"

bin="$out/build/bin"
rm -f "$bin"/libggml-cpu*.so
cp "$prebuilt"/libggml-cpu-*.so "$bin/"

echo "$bin/llama-server"
