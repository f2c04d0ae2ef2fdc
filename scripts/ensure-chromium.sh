#!/usr/bin/env bash
# Makes sure a Chromium for the web app's browser suite is installed: Debian's `chromium` package
# (apt-get, like deploy/local installs PostgreSQL and Redis), never a browser download. Prints the
# executable's path. Without apt-get it says so and exits 0: the suite then skips, naming the reason.
# Usage: bash scripts/ensure-chromium.sh   (CHROMIUM_PATH=/path/to/chrome skips the lookup)

SERVICE=chromium
source "$(dirname "${BASH_SOURCE[0]}")/../deploy/local/lib.sh"

find_chromium() {
  local candidate
  for candidate in "${CHROMIUM_PATH:-}" /usr/bin/chromium /usr/bin/chromium-browser /usr/bin/google-chrome-stable /usr/bin/google-chrome; do
    if [[ -n "$candidate" && -x "$candidate" ]]; then
      printf '%s\n' "$candidate"
      return 0
    fi
  done
  return 1
}

if find_chromium; then exit 0; fi
if ! command -v apt-get >/dev/null 2>&1; then
  log "WARNING: no Chromium and no apt-get: the web app's browser suite will be SKIPPED (set CHROMIUM_PATH)"
  exit 0
fi
apt_install chromium fonts-dejavu-core
find_chromium || die "chromium installed but not found on the usual paths"
