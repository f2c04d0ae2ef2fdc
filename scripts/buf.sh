#!/usr/bin/env bash
# Runs the pinned `buf` CLI for the proto/ module (lint, breaking, generate, format, build...).
# buf is built from source with `go install` into <repo>/.local/bin the first time it is missing
# (or pinned to another version), so every machine uses the same version without a download step
# outside the Go module proxy. Usage: scripts/buf.sh lint | breaking | <any buf subcommand> [args]
set -euo pipefail

BUF_VERSION="v1.75.0"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN_DIR="$ROOT/.local/bin"
BUF="$BIN_DIR/buf"
PROTO_DIR="$ROOT/proto"

installed_version() {
  [[ -x "$BUF" ]] && "$BUF" --version 2>/dev/null || true
}

ensure_buf() {
  [[ "$(installed_version)" == "${BUF_VERSION#v}" ]] && return 0
  command -v go >/dev/null 2>&1 || {
    echo "buf.sh: buf ${BUF_VERSION} is missing and Go is not installed; install Go >= 1.24 to build it" >&2
    exit 1
  }
  mkdir -p "$BIN_DIR"
  # Parallel callers (tests, proto-gen) must not build into the same path at once.
  exec 9>"$BIN_DIR/.buf-install.lock"
  flock 9
  if [[ "$(installed_version)" != "${BUF_VERSION#v}" ]]; then
    echo "buf.sh: installing buf ${BUF_VERSION} into .local/bin (first run compiles it, this takes a few minutes)" >&2
    local started=$SECONDS
    GOBIN="$BIN_DIR" GOFLAGS="-buildvcs=false" CGO_ENABLED=0 \
      go install "github.com/bufbuild/buf/cmd/buf@${BUF_VERSION}" >&2
    echo "buf.sh: buf ${BUF_VERSION} installed in $((SECONDS - started))s" >&2
  fi
  flock -u 9
  exec 9>&-
}

# `buf breaking` against the recorded baseline of the contracts (proto/baselines/v1.binpb, the v1 API as
# released: a drift that creeps in over several commits is caught too), then against branch main.
run_breaking() {
  local baseline="$PROTO_DIR/baselines/v1.binpb"
  (cd "$PROTO_DIR" && "$BUF" breaking --against "$baseline" "$@")
  echo "buf.sh breaking: no breaking change against the recorded baseline (proto/baselines/v1.binpb)" >&2
  if ! git -C "$ROOT" rev-parse --verify --quiet refs/heads/main >/dev/null; then
    echo "buf.sh breaking: no 'main' branch here, so only the recorded baseline was checked" >&2
    return 0
  fi
  # The git directory, not the work tree: in a linked worktree `.git` is a file.
  local git_dir
  git_dir="$(cd "$ROOT" && cd "$(git rev-parse --git-common-dir)" && pwd)"
  cd "$PROTO_DIR"
  "$BUF" breaking --against "${git_dir}#branch=main,subdir=proto" "$@"
}

# Records the current contracts as the baseline: only when a new major version is released on purpose.
record_baseline() {
  cd "$PROTO_DIR"
  "$BUF" build --exclude-source-info -o baselines/v1.binpb
  echo "buf.sh: recorded proto/baselines/v1.binpb" >&2
}

main() {
  if [[ $# -eq 0 ]]; then
    echo "usage: scripts/buf.sh lint | breaking | <buf subcommand> [args]" >&2
    exit 2
  fi
  ensure_buf
  local cmd="$1"
  shift
  case "$cmd" in
    breaking) run_breaking "$@" ;;
    record-baseline) record_baseline ;;
    install) "$BUF" --version ;;
    *)
      cd "$PROTO_DIR"
      "$BUF" "$cmd" "$@"
      ;;
  esac
}

main "$@"
