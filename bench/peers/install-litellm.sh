#!/usr/bin/env bash
# Installs LiteLLM's proxy, the gateway benchmark's peer, into a git-ignored virtual environment
# (.local/venvs/litellm by default; .local/ is in .gitignore). Nothing of it is committed.
#
#   bash bench/peers/install-litellm.sh [VENV_DIR]     # prints VENV_DIR/bin/litellm at the end
#   LITELLM_BIN=VENV_DIR/bin/litellm npx tsx bench/gateway/peer-overhead.bench.ts
#
# LITELLM_VERSION pins a release (default: the newest on PyPI). Needs python3 (>= 3.9) with venv.
set -euo pipefail

repo_root=$(cd "$(dirname "$0")/../.." && pwd)
venv=${1:-"$repo_root/.local/venvs/litellm"}
spec="litellm[proxy]${LITELLM_VERSION:+==$LITELLM_VERSION}"

if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --upgrade pip
"$venv/bin/pip" install --quiet "$spec"
LITELLM_LOCAL_MODEL_COST_MAP=True "$venv/bin/litellm" --version >/dev/null
echo "$venv/bin/litellm"
