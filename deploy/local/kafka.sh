#!/usr/bin/env bash
# Local Kafka: Apache Kafka's own broker jars (resolved by Maven from deploy/kafka/pom.xml) running
# one KRaft node that is both broker and controller, PLAINTEXT on 127.0.0.1:$KAFKA_PORT and the
# controller on 127.0.0.1:$KAFKA_CONTROLLER_PORT, data and log under $HEARTH_LOCAL_DIR/kafka/.
# Tests start extra, disposable brokers by pointing HEARTH_LOCAL_DIR at a temp dir and picking ports;
# the jars stay shared in the repo's .local (KAFKA_LIBS_DIR).
# Usage: kafka.sh up|down|status|env   (also sourced by infra.sh)

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

KAFKA_POM_DIR="$HEARTH_ROOT/deploy/kafka"
KAFKA_DIR="$HEARTH_LOCAL_DIR/kafka"
KAFKA_LIBS_DIR="${KAFKA_LIBS_DIR:-$HEARTH_CACHE_DIR/kafka/libs}"
KAFKA_DATA="$KAFKA_DIR/data"
KAFKA_CONF="$KAFKA_DIR/server.properties"
KAFKA_LOG="$KAFKA_DIR/kafka.log"
KAFKA_PID="$KAFKA_DIR/kafka.pid"
KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}"
# Class-data-sharing archive of the broker's classes (see kafka_cds_opts).
KAFKA_CDS="$KAFKA_LIBS_DIR.jsa"
KAFKA_START_TIMEOUT="${KAFKA_START_TIMEOUT:-120}"

kafka_java() {
  if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then
    echo "$JAVA_HOME/bin/java"
  else
    command -v java || true
  fi
}

# The jars match the pom when the stamp (the pom's hash) written after copying them matches.
kafka_libs_current() { [[ "$(cat "$KAFKA_LIBS_DIR/.pom.sha256" 2>/dev/null)" == "$(sha256sum "$KAFKA_POM_DIR/pom.xml" | cut -d' ' -f1)" ]]; }

# Debian packages: a JRE to run the broker, Maven only when the jars still have to be resolved.
kafka_deps() {
  local SERVICE=kafka
  [[ -n "$(kafka_java)" ]] || apt_install openjdk-17-jre-headless
  kafka_libs_current || command -v mvn >/dev/null 2>&1 || apt_install maven
}

# Copies the broker jars once; editing the pom re-resolves them, and a second `up` does not start
# Maven at all. A lock keeps concurrent starts (tests) from racing.
kafka_install() {
  local SERVICE=kafka
  kafka_libs_current && return 0
  local stamp want
  stamp="$KAFKA_LIBS_DIR/.pom.sha256"
  want="$(sha256sum "$KAFKA_POM_DIR/pom.xml" | cut -d' ' -f1)"
  mkdir -p "$(dirname "$KAFKA_LIBS_DIR")"
  (
    flock 9
    [[ "$(cat "$stamp" 2>/dev/null)" == "$want" ]] && exit 0
    log "resolving Kafka jars with Maven into $KAFKA_LIBS_DIR"
    rm -rf "$KAFKA_LIBS_DIR.tmp"
    mvn -q -B -f "$KAFKA_POM_DIR/pom.xml" dependency:copy-dependencies \
      -DoutputDirectory="$KAFKA_LIBS_DIR.tmp" -DincludeScope=runtime >"$KAFKA_LIBS_DIR.mvn.log" 2>&1 || {
      tail_log "$KAFKA_LIBS_DIR.mvn.log"
      die "mvn dependency:copy-dependencies failed"
    }
    rm -rf "$KAFKA_LIBS_DIR" "$KAFKA_CDS"
    mv "$KAFKA_LIBS_DIR.tmp" "$KAFKA_LIBS_DIR"
    echo "$want" >"$stamp"
    rm -f "$KAFKA_LIBS_DIR.mvn.log"
  ) 9>"$KAFKA_LIBS_DIR.lock"
}

# Class loading dominates the broker's start on a small machine (about 4.4 s of CPU); an AppCDS
# archive halves that. Java 17 cannot create one automatically, so a broker started without an
# archive dumps one when it exits cleanly (down), and the next start of any broker adopts it. The
# archive belongs to these exact jars and this JVM: reinstalling the jars deletes it, a dump is
# adopted only if a JVM accepts it (-Xshare:on fails on a truncated or foreign archive), and a
# broker that dies on start with the archive is retried without it (kafka_up_locked).
kafka_adopt_cds() {
  local dumped="$KAFKA_DIR/cds.jsa"
  if [[ -s "$dumped" && ! -f "$KAFKA_CDS" ]] &&
    "$(kafka_java)" -Xshare:on -XX:SharedArchiveFile="$dumped" -XX:ErrorFile=/dev/null \
      -cp "$KAFKA_LIBS_DIR/*" -version >/dev/null 2>&1; then
    cp "$dumped" "$KAFKA_CDS.$$" && mv -f "$KAFKA_CDS.$$" "$KAFKA_CDS"
  fi
  rm -f "$dumped"
}

kafka_cds_opts() {
  kafka_adopt_cds
  if [[ -f "$KAFKA_CDS" ]]; then
    echo "-XX:SharedArchiveFile=$KAFKA_CDS"
  else
    echo "-XX:ArchiveClassesAtExit=$KAFKA_DIR/cds.jsa"
  fi
}

kafka_running() { pid_is "$(read_pid "$KAFKA_PID")" kafka.Kafka; }

# A real protocol answer, not just an open port: ApiVersions v0 (key 18) with correlation id 42 and
# a null client id; the reply must echo the correlation id with error code 0.
kafka_api_ok() {
  local reply
  reply="$(timeout 3 bash -c "exec 3<>/dev/tcp/127.0.0.1/$KAFKA_PORT || exit 1
    printf '\x00\x00\x00\x0a\x00\x12\x00\x00\x00\x00\x00\x2a\xff\xff' >&3
    head -c 10 <&3 | od -An -tx1" 2>/dev/null | tr -d ' \n')" || return 1
  [[ "$reply" == ????????0000002a0000 ]]
}

# Ready means: the server logged that it finished starting (broker unfenced) and answers requests.
kafka_ready() { grep -q "Kafka Server started" "$KAFKA_LOG" 2>/dev/null && kafka_api_ok; }

kafka_write_conf() {
  mkdir -p "$KAFKA_DIR"
  cat >"$KAFKA_CONF" <<EOF
# Written by deploy/local/kafka.sh on every start; edit the script, not this file.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$KAFKA_DATA
# Single node on a small machine: replication 1 everywhere, few threads and partitions.
num.partitions=3
default.replication.factor=1
min.insync.replicas=1
auto.create.topics.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=5
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=5
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
# A broker killed with -9 keeps its registration until its session expires (default 9 s), and its
# restart waits for that: keep the session short on a single local node.
broker.session.timeout.ms=3000
broker.heartbeat.interval.ms=500
num.network.threads=2
num.io.threads=2
num.recovery.threads.per.data.dir=1
# Local data is disposable: keep an hour of it in small segments.
log.retention.ms=3600000
log.segment.bytes=16777216
log.retention.check.interval.ms=60000
EOF
}

# Formats the log dir once (KRaft needs a cluster id before the first start).
kafka_format() {
  [[ -f "$KAFKA_DATA/meta.properties" ]] && return 0
  local id
  # A Kafka Uuid is 16 random bytes in URL-safe base64 without padding; one starting with '-'
  # would be read as a command-line flag, so draw again.
  id="-"
  while [[ "$id" == -* ]]; do id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')"; done
  log "formatting $KAFKA_DATA with cluster id $id"
  local cds=()
  [[ -f "$KAFKA_CDS" ]] && cds=("-XX:SharedArchiveFile=$KAFKA_CDS")
  "$(kafka_java)" -Xmx256m "${cds[@]}" -XX:ErrorFile="$KAFKA_DIR/hs_err_%p.log" -cp "$KAFKA_LIBS_DIR/*" -Dlog4j2.configurationFile="$KAFKA_POM_DIR/log4j2.properties" \
    kafka.tools.StorageTool format -t "$id" -c "$KAFKA_CONF" >"$KAFKA_DIR/format.log" 2>&1 || {
    tail_log "$KAFKA_DIR/format.log"
    die "kafka storage format failed"
  }
}

kafka_up() { with_lock kafka kafka_up_locked; }

kafka_up_locked() {
  local SERVICE=kafka
  kafka_deps
  kafka_install
  if kafka_running; then
    kafka_api_ok || die "broker (pid $(read_pid "$KAFKA_PID")) runs but does not answer on 127.0.0.1:$KAFKA_PORT (port changed or still starting? see $KAFKA_LOG)"
    log "already running on 127.0.0.1:$KAFKA_PORT"
    return 0
  fi
  ensure_port_free "$KAFKA_PORT" KAFKA_PORT
  ensure_port_free "$KAFKA_CONTROLLER_PORT" KAFKA_CONTROLLER_PORT
  kafka_write_conf
  kafka_format
  local started cds
  cds="$(kafka_cds_opts)"
  started="$(now_ms)"
  if ! kafka_launch "$cds"; then
    [[ "$cds" == -XX:SharedArchiveFile=* ]] || die "broker exited during start-up (log: $KAFKA_LOG)"
    log "broker died on start with the class-data archive: deleting $KAFKA_CDS and retrying without it"
    rm -f "$KAFKA_CDS"
    kafka_launch "-XX:ArchiveClassesAtExit=$KAFKA_DIR/cds.jsa" || die "broker exited during start-up (log: $KAFKA_LOG)"
  fi
  log "started on 127.0.0.1:$KAFKA_PORT (pid $(read_pid "$KAFKA_PID")) in $(($(now_ms) - started)) ms"
}

# Starts the JVM with the class-data option $1 and waits until it serves. Returns 1 (with the log's
# tail printed) if it exits during start-up; a broker that never gets ready is killed and fatal.
kafka_launch() {
  local pid
  [[ -f "$KAFKA_LOG" ]] && mv -f "$KAFKA_LOG" "$KAFKA_LOG.1"
  # setsid detaches the broker from the caller's session (a closed terminal or a test runner's
  # Ctrl-C must not kill the shared broker); output goes to the log, not to the caller's pipes.
  # shellcheck disable=SC2086
  setsid "$(kafka_java)" $KAFKA_HEAP_OPTS "$1" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
    -XX:ErrorFile="$KAFKA_DIR/hs_err_%p.log" -Dlog4j2.configurationFile="$KAFKA_POM_DIR/log4j2.properties" \
    -cp "$KAFKA_LIBS_DIR/*" kafka.Kafka "$KAFKA_CONF" >"$KAFKA_LOG" 2>&1 </dev/null 8>&- &
  pid=$!
  echo "$pid" >"$KAFKA_PID"
  local deadline=$((SECONDS + KAFKA_START_TIMEOUT))
  until kafka_ready; do
    if ! pid_alive "$pid"; then
      tail_log "$KAFKA_LOG" 40
      return 1
    fi
    if ((SECONDS >= deadline)); then
      tail_log "$KAFKA_LOG" 40
      kill -9 "$pid" 2>/dev/null || true
      die "broker not ready on 127.0.0.1:$KAFKA_PORT after ${KAFKA_START_TIMEOUT}s: killed it (log: $KAFKA_LOG)"
    fi
    sleep 0.25
  done
}

kafka_down() { with_lock kafka kafka_down_locked; }

kafka_down_locked() {
  local SERVICE=kafka
  local pid
  pid="$(read_pid "$KAFKA_PID")"
  if ! pid_is "$pid" kafka.Kafka; then
    rm -f "$KAFKA_PID"
    log "not running"
    return 0
  fi
  # SIGTERM runs the broker's shutdown hook (controlled shutdown, clean log close: no recovery on
  # the next start); SIGKILL only if that hangs.
  kill -TERM "$pid"
  if ! wait_until 60 pid_gone "$pid"; then
    kill -9 "$pid" 2>/dev/null || true
    log "did not stop within 60 s: killed"
  fi
  rm -f "$KAFKA_PID"
  kafka_adopt_cds
  log "stopped"
}

kafka_status() {
  if kafka_running && kafka_api_ok; then
    echo "kafka: running on 127.0.0.1:$KAFKA_PORT (pid $(read_pid "$KAFKA_PID"), controller 127.0.0.1:$KAFKA_CONTROLLER_PORT)"
  else
    echo "kafka: stopped"
    return 1
  fi
}

kafka_env() { echo "export KAFKA_BROKERS=127.0.0.1:$KAFKA_PORT"; }

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  case "${1:-}" in
  up) kafka_up ;;
  down) kafka_down ;;
  status) kafka_status ;;
  env) kafka_env ;;
  *) die "usage: $0 up|down|status|env" ;;
  esac
fi
