#!/usr/bin/env bash
# Generates the TypeScript contracts (libs/contracts/src/gen, git-ignored) from proto/ with buf and the
# ts-proto plugin installed in node_modules. Generation goes to a temporary folder first and replaces
# the old output in one move, so concurrent readers (parallel test workers) never see a half-written tree.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$ROOT/libs/contracts/src/gen"
PLUGIN="$ROOT/node_modules/.bin/protoc-gen-ts_proto"

if [[ ! -x "$PLUGIN" ]]; then
  echo "proto-gen.sh: $PLUGIN is missing; run npm install first (ts-proto is a devDependency)" >&2
  exit 1
fi

bash "$ROOT/scripts/buf.sh" install >/dev/null

mkdir -p "$ROOT/.local"
exec 9>"$ROOT/.local/proto-gen.lock"
flock 9

TMP="$(mktemp -d "$ROOT/.local/proto-gen.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT

bash "$ROOT/scripts/buf.sh" generate --template buf.gen.yaml --output "$TMP"

if [[ -d "$OUT" ]]; then
  mv "$OUT" "$TMP/old"
fi
mv "$TMP/gen" "$OUT"
echo "proto-gen.sh: generated $(find "$OUT" -name '*.ts' | wc -l) files into libs/contracts/src/gen" >&2
