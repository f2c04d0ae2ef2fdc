#!/usr/bin/env bash
# Local infrastructure without Docker: PostgreSQL, Redis, a single-node KRaft Kafka broker and the
# small GGUF model, as loopback-only processes with data under <repo>/.local/ (git-ignored).
#
#   bash deploy/local/infra.sh up [postgres|redis|kafka|model ...]    start (default: all), idempotent
#   bash deploy/local/infra.sh status                                 one line per service
#   bash deploy/local/infra.sh down [postgres|redis|kafka ...]        stop (default: all)
#   eval "$(bash deploy/local/infra.sh env)"                          export the connection settings
#
# Overrides: POSTGRES_PORT REDIS_PORT KAFKA_PORT KAFKA_CONTROLLER_PORT, HEARTH_LOCAL_DIR (data and
# logs), HEARTH_CACHE_DIR (Kafka jars and the model; default <repo>/.local), KAFKA_HEAP_OPTS.

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/lib.sh"
source "$HERE/postgres.sh"
source "$HERE/redis.sh"
source "$HERE/kafka.sh"
source "$HERE/model.sh"

ALL_SERVICES=(postgres redis kafka model)

# Sets SERVICES from the command line (all by default); runs in this shell so a typo exits non-zero.
resolve_services() {
  local s
  SERVICES=()
  (($#)) || set -- "${ALL_SERVICES[@]}"
  for s in "$@"; do
    case "$s" in
    postgres | pg) SERVICES+=(postgres) ;;
    redis | kafka | model) SERVICES+=("$s") ;;
    *) SERVICE=infra die "unknown service '$s' (expected: ${ALL_SERVICES[*]})" ;;
    esac
  done
}

fn_for() {
  case "$1" in
  postgres) echo "pg_$2" ;;
  *) echo "$1_$2" ;;
  esac
}

cmd_up() {
  local services s failed=() started pids=()
  started="$(now_ms)"
  resolve_services "$@"
  services=("${SERVICES[@]}")
  # Debian packages first, in this shell, so apt-get update runs at most once and never twice at
  # the same time.
  for s in "${services[@]}"; do "$(fn_for "$s" deps)"; done
  # Then every service starts at once, each in its own subshell: the slow parts (Maven, pip, the
  # JVM) overlap, and one service failing (e.g. a busy port) does not hide the others.
  for s in "${services[@]}"; do
    ("$(fn_for "$s" up)") &
    pids+=($!)
  done
  for i in "${!services[@]}"; do
    wait "${pids[$i]}" || failed+=("${services[$i]}")
  done
  if ((${#failed[@]})); then
    SERVICE=infra die "failed to start: ${failed[*]}"
  fi
  SERVICE=infra log "ready in $(($(now_ms) - started)) ms: eval \"\$(bash deploy/local/infra.sh env)\""
}

cmd_down() {
  local services s failed=() pids=()
  resolve_services "$@"
  services=("${SERVICES[@]}")
  for s in "${services[@]}"; do
    ("$(fn_for "$s" down)") &
    pids+=($!)
  done
  for i in "${!services[@]}"; do
    wait "${pids[$i]}" || failed+=("${services[$i]}")
  done
  ((${#failed[@]} == 0)) || SERVICE=infra die "failed to stop: ${failed[*]}"
}

cmd_status() {
  local s rc=0
  for s in "${ALL_SERVICES[@]}"; do
    "$(fn_for "$s" status)" || rc=1
  done
  return "$rc"
}

cmd_env() {
  local line vars=()
  for s in "${ALL_SERVICES[@]}"; do
    line="$("$(fn_for "$s" env)")" || continue
    [[ -n "$line" ]] && vars+=("${line#export }")
  done
  echo "export ${vars[*]}"
}

case "${1:-}" in
up)
  shift
  cmd_up "$@"
  ;;
down)
  shift
  cmd_down "$@"
  ;;
status) cmd_status ;;
env) cmd_env ;;
*)
  sed -n '2,/^$/p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
  ;;
esac
