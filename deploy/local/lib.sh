# shellcheck shell=bash
# Shared helpers for the local infrastructure scripts (sourced, never run).
# Owns: where things live (repo root, .local dirs), default loopback ports, logging, port checks,
# waiting for health and installing missing Debian packages.

set -euo pipefail

HEARTH_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HEARTH_LOCAL_DIR="${HEARTH_LOCAL_DIR:-$HEARTH_ROOT/.local}"
# Caches that are expensive to rebuild (Kafka jars, the model) stay in the repo's .local even when
# HEARTH_LOCAL_DIR points a second instance (e.g. a test broker) at a temporary data folder.
HEARTH_CACHE_DIR="${HEARTH_CACHE_DIR:-$HEARTH_ROOT/.local}"

POSTGRES_PORT="${POSTGRES_PORT:-55432}"
REDIS_PORT="${REDIS_PORT:-56379}"
KAFKA_PORT="${KAFKA_PORT:-59092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-59093}"

log() { printf '[%s] %s\n' "${SERVICE:-infra}" "$*" >&2; }
die() {
  printf '[%s] ERROR: %s\n' "${SERVICE:-infra}" "$*" >&2
  exit 1
}

# Prints the last lines of a log file, indented, so a failed start explains itself.
tail_log() {
  local file="$1" lines="${2:-30}"
  if [[ -f "$file" ]]; then
    printf '[%s] --- last %s lines of %s ---\n' "${SERVICE:-infra}" "$lines" "$file" >&2
    tail -n "$lines" "$file" | sed 's/^/    /' >&2
  fi
}

# True when something accepts TCP connections on 127.0.0.1:$1.
port_open() {
  timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

# Describes who listens on a port (best effort: ss is in iproute2, usually present).
port_owner() {
  if command -v ss >/dev/null 2>&1; then
    ss -ltnpH "sport = :$1" 2>/dev/null | awk '{print $4, $6}' | head -n 3
  fi
}

# Refuses to start when a foreign process holds the port: we never guess that it is ours.
ensure_port_free() {
  local port="$1" what="$2"
  if port_open "$port"; then
    die "port $port ($what) is already in use by another process: $(port_owner "$port" | tr '\n' ' ')-" \
      "stop it or choose another port (e.g. ${what}=<port> bash deploy/local/infra.sh up)"
  fi
}

# Polls a command until it succeeds or the deadline passes.
wait_until() {
  local seconds="$1"
  shift
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

# A zombie counts as gone: our daemons are reparented to PID 1, which may reap them only later.
pid_alive() {
  [[ -n "${1:-}" ]] && kill -0 "$1" 2>/dev/null || return 1
  local stat
  stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
  stat="${stat##*) }"
  [[ "${stat:0:1}" != Z ]]
}

pid_gone() { ! pid_alive "$1"; }

# True when pid $1 is alive and its command line mentions $2 (guards against recycled pids).
pid_is() { pid_alive "${1:-}" && tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -q -- "$2"; }

read_pid() { if [[ -f "$1" ]]; then tr -d '[:space:]' <"$1"; fi; }

# Installs Debian packages when their binaries are missing; apt-get update runs once per shell.
APT_UPDATED="${APT_UPDATED:-}"
apt_install() {
  command -v apt-get >/dev/null 2>&1 || die "apt-get not found: install $* by hand"
  local sudo=""
  [[ $EUID -eq 0 ]] || sudo="sudo"
  local apt_log="$HEARTH_LOCAL_DIR/apt.log"
  mkdir -p "$HEARTH_LOCAL_DIR"
  if [[ -z "$APT_UPDATED" ]]; then
    log "apt-get update"
    $sudo apt-get update -qq >>"$apt_log" 2>&1 || {
      tail_log "$apt_log"
      die "apt-get update failed"
    }
    APT_UPDATED=1
    export APT_UPDATED
  fi
  log "apt-get install -y $* (log: $apt_log)"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >>"$apt_log" 2>&1 || {
    tail_log "$apt_log"
    die "apt-get install $* failed"
  }
}

# Runs "$@" holding an exclusive per-service lock, so two concurrent `up`s (a developer and a test
# run) cannot both see "not running" and start two servers on one data folder. Daemons started
# under the lock must close fd 8 (`8>&-`), or they would hold it for as long as they run.
with_lock() {
  local name="$1"
  shift
  mkdir -p "$HEARTH_LOCAL_DIR/.locks"
  (
    flock 8
    "$@"
  ) 8>"$HEARTH_LOCAL_DIR/.locks/$name.lock"
}

# Milliseconds since the epoch, for the start-time measurements printed by each service.
now_ms() { date +%s%3N; }
