#!/usr/bin/env bash
# Local PostgreSQL for development and tests: one cluster under .local/postgres/, run as the
# `postgres` OS user when we are root, listening on 127.0.0.1:$POSTGRES_PORT only, with a superuser
# role hearth/hearth (tests create databases) and a database hearth.
# Usage: postgres.sh up|down|status|env   (also sourced by infra.sh)

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PG_DIR="$HEARTH_LOCAL_DIR/postgres"
PG_DATA="$PG_DIR/data"
PG_SOCK="$PG_DIR/run"
PG_LOG="$PG_DIR/postgres.log"

pg_bin() {
  local dir
  for dir in /usr/lib/postgresql/15/bin $(printf '%s\n' /usr/lib/postgresql/*/bin | sort -rV); do
    [[ -x "$dir/pg_ctl" && -x "$dir/initdb" ]] && {
      echo "$dir"
      return 0
    }
  done
  return 1
}

# Runs a command as the cluster owner: `postgres` when we are root (PostgreSQL refuses to run as
# root), otherwise the current user.
as_pg() {
  if [[ $EUID -eq 0 ]]; then
    (cd "$PG_DIR" && runuser -u postgres -- "$@")
  else
    (cd "$PG_DIR" && "$@")
  fi
}

pg_deps() {
  local SERVICE=postgres
  pg_bin >/dev/null || apt_install postgresql
  PG_BIN="$(pg_bin)" || die "PostgreSQL binaries not found after install"
}

pg_ready() { "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$POSTGRES_PORT" -d postgres; }

pg_running() { [[ -f "$PG_DATA/PG_VERSION" ]] && as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1; }

pg_write_conf() {
  # Regenerated on every start so POSTGRES_PORT overrides apply to an existing cluster.
  cat >"$PG_DATA/hearth.conf" <<EOF
# Written by deploy/local/postgres.sh on every start; edit the script, not this file.
listen_addresses = '127.0.0.1'
port = $POSTGRES_PORT
unix_socket_directories = '$PG_SOCK'
max_connections = 200
shared_buffers = 128MB
work_mem = 8MB
# Durability is traded for speed: this cluster holds only local dev/test data, which can be
# recreated, so a crash losing the last transactions (or the cluster) is acceptable. Fault runs that
# SIGKILL a private server set POSTGRES_SYNCHRONOUS_COMMIT=on: a committed row then survives the crash
# of PostgreSQL (not of the machine), as in production.
fsync = off
synchronous_commit = ${POSTGRES_SYNCHRONOUS_COMMIT:-off}
full_page_writes = off
log_min_messages = warning
log_line_prefix = '%m [%p] %q%u@%d '
EOF
  [[ $EUID -eq 0 ]] && chown postgres: "$PG_DATA/hearth.conf"
  return 0
}

pg_init() {
  local SERVICE=postgres
  log "initdb in $PG_DATA"
  mkdir -p "$PG_DIR"
  [[ $EUID -eq 0 ]] && chown postgres: "$PG_DIR"
  as_pg mkdir -p -m 0700 "$PG_DATA" "$PG_SOCK"
  as_pg "$PG_BIN/initdb" -D "$PG_DATA" -U postgres -E UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host=scram-sha-256 >"$PG_DIR/initdb.log" 2>&1 ||
    {
      tail_log "$PG_DIR/initdb.log"
      die "initdb failed"
    }
  echo "include = 'hearth.conf'" | as_pg tee -a "$PG_DATA/postgresql.conf" >/dev/null
}

pg_bootstrap_roles() {
  as_pg "$PG_BIN/psql" -h "$PG_SOCK" -p "$POSTGRES_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -qAt <<'SQL' >/dev/null
SELECT 'CREATE ROLE hearth LOGIN SUPERUSER PASSWORD ''hearth'''
  WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'hearth') \gexec
SELECT 'CREATE DATABASE hearth OWNER hearth'
  WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'hearth') \gexec
SQL
}

pg_up() { with_lock postgres pg_up_locked; }

pg_up_locked() {
  local SERVICE=postgres
  pg_deps
  if pg_running; then
    pg_ready || die "cluster in $PG_DATA runs but does not answer on 127.0.0.1:$POSTGRES_PORT (port changed? run down, then up)"
    log "already running on 127.0.0.1:$POSTGRES_PORT"
    return 0
  fi
  ensure_port_free "$POSTGRES_PORT" POSTGRES_PORT
  [[ -f "$PG_DATA/PG_VERSION" ]] || pg_init
  local version
  version="$(cat "$PG_DATA/PG_VERSION")"
  [[ "$PG_BIN" == */"$version"/bin ]] || die "$PG_DATA was created by PostgreSQL $version but $PG_BIN is another version: remove $PG_DIR to recreate it"
  pg_write_conf
  as_pg mkdir -p -m 0700 "$PG_SOCK"
  local started
  started="$(now_ms)"
  if ! as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t 60 start >/dev/null 2>&1 8>&- ||
    ! wait_until 30 pg_ready; then
    tail_log "$PG_LOG"
    die "PostgreSQL failed to start on 127.0.0.1:$POSTGRES_PORT (log: $PG_LOG)"
  fi
  pg_bootstrap_roles || {
    tail_log "$PG_LOG"
    die "could not create role/database hearth"
  }
  log "started on 127.0.0.1:$POSTGRES_PORT in $(($(now_ms) - started)) ms"
}

pg_down() { with_lock postgres pg_down_locked; }

pg_down_locked() {
  local SERVICE=postgres
  PG_BIN="$(pg_bin)" || {
    log "not installed"
    return 0
  }
  if ! pg_running; then
    log "not running"
    return 0
  fi
  as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w -t 60 stop >/dev/null || die "pg_ctl stop failed"
  log "stopped"
}

pg_status() {
  PG_BIN="$(pg_bin)" || {
    echo "postgres: not installed"
    return 1
  }
  if pg_running && pg_ready; then
    echo "postgres: running on 127.0.0.1:$POSTGRES_PORT (pid $(head -n1 "$PG_DATA/postmaster.pid"), data $PG_DATA)"
  else
    echo "postgres: stopped"
    return 1
  fi
}

pg_env() { echo "export DATABASE_URL=postgresql://hearth:hearth@127.0.0.1:$POSTGRES_PORT/hearth"; }

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  case "${1:-}" in
  up) pg_up ;;
  down) pg_down ;;
  status) pg_status ;;
  env) pg_env ;;
  *) die "usage: $0 up|down|status|env" ;;
  esac
fi
