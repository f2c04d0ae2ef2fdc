#!/usr/bin/env bash
# Local Redis for development and tests: Debian's redis-server, daemonized on
# 127.0.0.1:$REDIS_PORT with its own config, pid and log under .local/redis/, no persistence
# (caches and rate-limit counters only; losing them on restart is fine).
# Usage: redis.sh up|down|status|env   (also sourced by infra.sh)

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

REDIS_DIR="$HEARTH_LOCAL_DIR/redis"
REDIS_CONF="$REDIS_DIR/redis.conf"
REDIS_PID="$REDIS_DIR/redis.pid"
REDIS_LOG="$REDIS_DIR/redis.log"

redis_deps() {
  local SERVICE=redis
  if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
    apt_install redis-server redis-tools
  fi
}

redis_ping() { [[ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" == PONG ]]; }

redis_running() { pid_is "$(read_pid "$REDIS_PID")" redis-server; }

redis_write_conf() {
  mkdir -p "$REDIS_DIR"
  cat >"$REDIS_CONF" <<EOF
# Written by deploy/local/redis.sh on every start; edit the script, not this file.
bind 127.0.0.1
port $REDIS_PORT
protected-mode yes
daemonize yes
pidfile $REDIS_PID
logfile $REDIS_LOG
dir $REDIS_DIR
save ""
appendonly no
maxmemory 256mb
maxmemory-policy noeviction
EOF
}

redis_up() { with_lock redis redis_up_locked; }

redis_up_locked() {
  local SERVICE=redis
  redis_deps
  if redis_running; then
    redis_ping || die "redis-server (pid $(read_pid "$REDIS_PID")) runs but does not answer PING on 127.0.0.1:$REDIS_PORT (port changed? run down, then up)"
    log "already running on 127.0.0.1:$REDIS_PORT"
    return 0
  fi
  ensure_port_free "$REDIS_PORT" REDIS_PORT
  redis_write_conf
  local started
  started="$(now_ms)"
  if ! redis-server "$REDIS_CONF" >>"$REDIS_LOG" 2>&1 8>&- || ! wait_until 20 redis_ping; then
    tail_log "$REDIS_LOG"
    die "redis-server failed to start on 127.0.0.1:$REDIS_PORT (log: $REDIS_LOG)"
  fi
  log "started on 127.0.0.1:$REDIS_PORT in $(($(now_ms) - started)) ms"
}

redis_down() { with_lock redis redis_down_locked; }

redis_down_locked() {
  local SERVICE=redis
  local pid
  pid="$(read_pid "$REDIS_PID")"
  if ! pid_alive "$pid"; then
    log "not running"
    return 0
  fi
  redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || kill "$pid" 2>/dev/null || true
  wait_until 15 pid_gone "$pid" || {
    kill -9 "$pid" 2>/dev/null || true
    log "did not stop in 15 s: killed"
  }
  rm -f "$REDIS_PID"
  log "stopped"
}

redis_status() {
  if redis_running && redis_ping; then
    echo "redis: running on 127.0.0.1:$REDIS_PORT (pid $(read_pid "$REDIS_PID"))"
  else
    echo "redis: stopped"
    return 1
  fi
}

redis_env() { echo "export REDIS_URL=redis://127.0.0.1:$REDIS_PORT"; }

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  case "${1:-}" in
  up) redis_up ;;
  down) redis_down ;;
  status) redis_status ;;
  env) redis_env ;;
  *) die "usage: $0 up|down|status|env" ;;
  esac
fi
