#!/usr/bin/env bash
# Runs schemathesis, the API contract fuzzer of the BFF's medium tier, installed on first use from PyPI
# into the git-ignored venv .local/contract-venv (the same pattern as scripts/deploy-tools.sh: a pinned
# version, a lock against parallel Jest workers, reinstalled when the pin changes).
# Usage: scripts/contract-tools.sh st [args...]
#        scripts/contract-tools.sh install     (installs it, prints its version)
set -euo pipefail

PY_PINS="schemathesis==4.32.5"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.local/contract-venv"

venv_current() {
  [[ -x "$VENV/bin/python" ]] && [[ "$(cat "$VENV/.pins" 2>/dev/null)" == "$PY_PINS" ]]
}

ensure_venv() {
  venv_current && return 0
  command -v python3 >/dev/null 2>&1 || {
    echo "contract-tools.sh: python3 (>= 3.10) is needed for schemathesis" >&2
    exit 1
  }
  mkdir -p "$ROOT/.local"
  exec 8>"$ROOT/.local/.contract-venv.lock"
  flock 8
  if ! venv_current; then
    echo "contract-tools.sh: installing ${PY_PINS} into .local/contract-venv (first run only)" >&2
    local started=$SECONDS
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    # shellcheck disable=SC2086 # the pins are separate arguments
    "$VENV/bin/pip" install --quiet --disable-pip-version-check $PY_PINS >&2
    echo "$PY_PINS" >"$VENV/.pins"
    echo "contract-tools.sh: schemathesis installed in $((SECONDS - started))s" >&2
  fi
  flock -u 8
  exec 8>&-
}

main() {
  if [[ $# -eq 0 ]]; then
    echo "usage: scripts/contract-tools.sh st [args] | install" >&2
    exit 2
  fi
  local tool="$1"
  shift
  case "$tool" in
    st)
      ensure_venv
      exec "$VENV/bin/st" "$@"
      ;;
    install)
      ensure_venv
      "$VENV/bin/st" --version
      ;;
    *)
      echo "contract-tools.sh: unknown tool '$tool'" >&2
      exit 2
      ;;
  esac
}

main "$@"
