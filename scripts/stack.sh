#!/usr/bin/env bash
# The local stack: a PostgreSQL 15 cluster, nats-server with JetStream, s3rver and the RTUS
# recorder, all on free loopback ports, all state under .stack/ of this checkout.
#   stack.sh up [--cluster] | down | status | env
# --cluster (or TAPEDECK_STACK_CLUSTER=1): three nats-server nodes forming a JetStream cluster
# instead of one; the streams get 3 replicas and TAPEDECK_NATS_URL lists the three nodes.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
state="$root/.stack"
ports_file="$state/ports.env"
binary="$root/build/tapedeck"
pg_bin=/usr/lib/postgresql/15/bin
run_user=tapedeck  # PostgreSQL refuses to run as root
bucket=tapedeck

log() { echo "stack: $*" >&2; }

port_is_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Below the kernel's ephemeral range: ports in it go to outgoing connections and port-0 binds,
# which could take one between this pick and the server's bind.
pick_port() {
  local port low
  read -r low _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || low=32768
  ((low > 21000)) || low=60999
  for _ in $(seq 1 200); do
    port=$((20000 + RANDOM % (low - 20000)))
    if port_is_free "$port" && ! grep -qs "=$port\$" "$ports_file.tmp"; then
      echo "$port"
      return
    fi
  done
  log "no free loopback port found"; exit 1
}

as_run_user() {
  # From / : the unprivileged user may not be able to enter the current folder.
  if [[ $(id -u) -eq 0 ]]; then (cd / && runuser -u "$run_user" -- "$@"); else "$@"; fi
}

ensure_run_user() {
  [[ $(id -u) -eq 0 ]] || { run_user=$(id -un); return; }
  id "$run_user" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$run_user"
}

load_ports() { [[ -f "$ports_file" ]] && source "$ports_file"; }

# PostgreSQL runs as the unprivileged $run_user, who may not be able to enter the checkout (a
# clone in root's 0700 home). Its data and socket folders then live under /var/lib, in a folder
# named after the checkout, and .stack/pg-location says where; otherwise under .stack/ itself.
pg_state_dir() {
  if [[ -f "$state/pg-location" ]]; then cat "$state/pg-location"; return; fi
  local dir="$state/pgserver"
  if [[ $(id -u) -eq 0 ]] && ! runuser -u "$run_user" -- test -x "$state" 2>/dev/null; then
    dir="/var/lib/tapedeck-stack/$(printf '%s' "$root" | sha256sum | cut -c1-16)"
    log "user $run_user cannot enter $state; PostgreSQL's files go to $dir"
  fi
  echo "$dir" >"$state/pg-location"
  echo "$dir"
}

# Servers, then one /healthz+/metrics (or API) port per component for `tapedeck run`.
port_names=(PG_PORT NATS_PORT NATS_MONITOR_PORT S3_PORT RTUS_PORT CAPTURE_PORT TRANSFORM_PORT
  TIMEKEEPER_PORT SCHEDULER_PORT REPLAYMGR_PORT DBOP_PORT MSGOP_PORT CONSOLE_PORT
  NATS2_PORT NATS3_PORT NATS_ROUTE1_PORT NATS_ROUTE2_PORT NATS_ROUTE3_PORT)

# The cluster mode is chosen at `up` and remembered in .stack/cluster for env, status, down.
is_cluster() { [[ -f "$state/cluster" ]]; }

# The NATS URL(s) clients use: one server, or the three nodes comma-separated (cnats form).
nats_urls() {
  if is_cluster; then
    echo "nats://127.0.0.1:$NATS_PORT,nats://127.0.0.1:$NATS2_PORT,nats://127.0.0.1:$NATS3_PORT"
  else
    echo "nats://127.0.0.1:$NATS_PORT"
  fi
}

# Keeps the ports a previous `up` chose (a restarted stack keeps its addresses) and picks the
# missing ones.
choose_ports() {
  touch "$ports_file"
  cp "$ports_file" "$ports_file.tmp"
  for name in "${port_names[@]}"; do
    grep -q "^$name=" "$ports_file.tmp" || echo "$name=$(pick_port)" >>"$ports_file.tmp"
  done
  mv "$ports_file.tmp" "$ports_file"
}

pid_alive() { [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

wait_for_port() {
  local port=$1 what=$2
  for _ in $(seq 1 100); do
    port_is_free "$port" || return 0
    sleep 0.1
  done
  log "$what did not open port $port; see $state/*.log"; exit 1
}

dsn() { echo "host=127.0.0.1 port=$PG_PORT user=tapedeck dbname=$1"; }

start_postgres() {
  local server_dir
  server_dir=$(pg_state_dir)
  pg_data="$server_dir/data"
  if [[ ! -f "$pg_data/PG_VERSION" ]]; then
    mkdir -p "$server_dir/data" "$server_dir/run"
    [[ $(id -u) -eq 0 ]] && chown -R "$run_user" "$server_dir" && chmod 700 "$server_dir"
    as_run_user "$pg_bin/initdb" -D "$pg_data" -U tapedeck --auth=trust -E UTF8 --no-locale >"$state/initdb.log"
    cat >>"$pg_data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$server_dir/run'
wal_level = logical
max_replication_slots = 32
max_wal_senders = 32
max_connections = 200
shared_buffers = 256MB
logging_collector = off
CONF
  fi
  sed -i "/^port = /d" "$pg_data/postgresql.conf"
  echo "port = $PG_PORT" >>"$pg_data/postgresql.conf"
  if ! as_run_user "$pg_bin/pg_ctl" -D "$pg_data" status >/dev/null 2>&1; then
    as_run_user "$pg_bin/pg_ctl" -D "$pg_data" -l "$server_dir/server.log" -w -t 60 start >/dev/null ||
      { log "PostgreSQL did not start; see $server_dir/server.log"; exit 1; }
  fi
  ln -sfn "$server_dir/server.log" "$state/postgres.log"
  for db in live tapedeck playback; do
    psql "$(dsn postgres)" -qtAc "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1 ||
      psql "$(dsn postgres)" -qc "CREATE DATABASE $db" >/dev/null
  done
}

# nats-server's largest message is 1 MiB by default, which one change of a row holding a large
# document passes (capture then refuses it, naming it). The stack takes 8 MiB, the default of
# transform.max_message_bytes; docs/operations.md says the same to production.
write_nats_config() {
  printf 'max_payload: 8MB\n' >"$state/nats.conf"
}

# Node i (1..3) of the cluster: its own store, client port and route port; node 1 keeps the
# single node's client and monitoring ports and file names.
start_nats_node() {
  local i=$1 client=$2 route=$3 name=nats
  [[ $i -gt 1 ]] && name="nats$i"
  pid_alive "$state/$name.pid" && return
  mkdir -p "$state/$name"
  local monitor=()
  [[ $i -eq 1 ]] && monitor=(-m "$NATS_MONITOR_PORT")
  write_nats_config
  nohup nats-server -c "$state/nats.conf" -js -sd "$state/$name" -a 127.0.0.1 -p "$client" \
    "${monitor[@]}" \
    -n "n$i" --cluster_name tapedeck --cluster "nats://127.0.0.1:$route" \
    --routes "nats://127.0.0.1:$NATS_ROUTE1_PORT,nats://127.0.0.1:$NATS_ROUTE2_PORT,nats://127.0.0.1:$NATS_ROUTE3_PORT" \
    -P "$state/$name.pid" -l "$state/$name.log" >/dev/null 2>&1 &
}

start_nats() {
  if is_cluster; then
    start_nats_node 1 "$NATS_PORT" "$NATS_ROUTE1_PORT"
    start_nats_node 2 "$NATS2_PORT" "$NATS_ROUTE2_PORT"
    start_nats_node 3 "$NATS3_PORT" "$NATS_ROUTE3_PORT"
    wait_for_port "$NATS_PORT" nats-server
    wait_for_port "$NATS2_PORT" nats-server
    wait_for_port "$NATS3_PORT" nats-server
    return
  fi
  pid_alive "$state/nats.pid" && return
  mkdir -p "$state/nats"
  write_nats_config
  nohup nats-server -c "$state/nats.conf" -js -sd "$state/nats" -a 127.0.0.1 -p "$NATS_PORT" \
    -m "$NATS_MONITOR_PORT" \
    -P "$state/nats.pid" -l "$state/nats.log" >/dev/null 2>&1 &
  wait_for_port "$NATS_PORT" nats-server
}

start_s3rver() {
  pid_alive "$state/s3rver.pid" && return
  mkdir -p "$state/s3"
  # s3rver encrypts ListObjectsV2 continuation tokens with DES, which Node 20 (OpenSSL 3)
  # offers only through the legacy provider.
  # server.js: s3rver plus the multipart calls it lacks (list and abort unfinished uploads).
  NODE_OPTIONS=--openssl-legacy-provider nohup node "$root/scripts/s3rver/server.js" \
    --directory "$state/s3" --address 127.0.0.1 --port "$S3_PORT" --bucket "$bucket" \
    >"$state/s3rver.log" 2>&1 &
  echo $! >"$state/s3rver.pid"
  wait_for_port "$S3_PORT" s3rver
}

start_rtus_recorder() {
  pid_alive "$state/rtus.pid" && return
  if [[ ! -x "$binary" ]]; then
    log "build/tapedeck is not built yet; the RTUS recorder is not started (run ./run setup)"
    return
  fi
  mkdir -p "$state/rtus"
  nohup "$binary" rtus-recorder --listen "127.0.0.1:$RTUS_PORT" --out "$state/rtus/calls.jsonl" \
    >"$state/rtus.log" 2>&1 &
  echo $! >"$state/rtus.pid"
  wait_for_port "$RTUS_PORT" "rtus-recorder"
}

write_config() {
  mkdir -p "$state/snapshots" "$state/dbop"
  api_token() { od -An -tx1 -N16 /dev/urandom | tr -d ' \n'; }
  cat >"$state/tapedeck.toml" <<CONF
# Written by scripts/stack.sh for the local stack; every key can be overridden by the
# environment (TAPEDECK_<SECTION>_<KEY>).
[log]
level = "info"

[live]
dsn = "$(dsn live)"

[store]
dsn = "$(dsn tapedeck)"

[playback]
dsn = "$(dsn playback)"
rtus_url = "http://127.0.0.1:$RTUS_PORT/playback"

[nats]
url = "$(nats_urls)"
$(if is_cluster; then printf 'cdc_replicas = 3\nevents_replicas = 3'; fi)

[storage]
url = "file://$state/snapshots"

[s3]
endpoint = "http://127.0.0.1:$S3_PORT"
region = "us-east-1"
access_key = "S3RVER"
secret_key = "S3RVER"
path_style = true

[rtus]
url = "http://127.0.0.1:$RTUS_PORT"

[capture]
listen = "127.0.0.1:$CAPTURE_PORT"

[transform]
listen = "127.0.0.1:$TRANSFORM_PORT"

[timekeeper]
listen = "127.0.0.1:$TIMEKEEPER_PORT"

[scheduler]
listen = "127.0.0.1:$SCHEDULER_PORT"

[replaymgr]
listen = "127.0.0.1:$REPLAYMGR_PORT"
url = "http://127.0.0.1:$REPLAYMGR_PORT"
console_listen = "127.0.0.1:$CONSOLE_PORT"
# An explicit token: every process started with this file (TAPEDECK_CONFIG) uses it, and none
# writes a token file into \$HOME.
api_token = "$(api_token)"

[dbop]
listen = "127.0.0.1:$DBOP_PORT"
work_dir = "$state/dbop"

[msgop]
listen = "127.0.0.1:$MSGOP_PORT"
CONF
}

stop_pidfile() {
  local file=$1
  [[ -f "$file" ]] || return 0
  local pid
  pid=$(cat "$file")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$file"
}

cmd_up() {
  ensure_run_user
  mkdir -p "$state"
  if [[ "${1:-}" == "--cluster" || "${TAPEDECK_STACK_CLUSTER:-}" == "1" ]]; then
    if pid_alive "$state/nats.pid" && ! is_cluster; then
      log "the stack runs a single nats-server; ./run stack down first, then up --cluster"; exit 1
    fi
    touch "$state/cluster"
  elif ! pid_alive "$state/nats.pid"; then
    rm -f "$state/cluster"
  fi
  [[ $(id -u) -eq 0 ]] && chmod 755 "$state"
  choose_ports
  load_ports
  start_postgres
  start_nats
  start_s3rver
  start_rtus_recorder
  write_config
  is_cluster && log "nats: a 3-node JetStream cluster on :$NATS_PORT, :$NATS2_PORT, :$NATS3_PORT"
  log "up: postgres :$PG_PORT, nats :$NATS_PORT, s3rver :$S3_PORT, rtus-recorder :$RTUS_PORT"
}

cmd_down() {
  ensure_run_user
  load_ports || true
  stop_pidfile "$state/rtus.pid"
  stop_pidfile "$state/s3rver.pid"
  stop_pidfile "$state/nats.pid"
  stop_pidfile "$state/nats2.pid"
  stop_pidfile "$state/nats3.pid"
  if [[ -f "$state/pg-location" ]]; then
    local pg_data
    pg_data="$(cat "$state/pg-location")/data"
    if [[ -f "$pg_data/postmaster.pid" ]]; then
      as_run_user "$pg_bin/pg_ctl" -D "$pg_data" -m fast -w -t 60 stop >/dev/null 2>&1 || true
    fi
  fi
  log "down"
}

cmd_status() {
  load_ports || { echo "stack: not configured"; return 1; }
  local all=0
  if [[ -f "$state/pg-location" ]] &&
    as_run_user "$pg_bin/pg_ctl" -D "$(cat "$state/pg-location")/data" status >/dev/null 2>&1; then
    echo "postgres      up    127.0.0.1:$PG_PORT"
  else echo "postgres      down"; all=1; fi
  local parts=(nats:NATS_PORT)
  is_cluster && parts+=(nats2:NATS2_PORT nats3:NATS3_PORT)
  for part in "${parts[@]}" s3rver:S3_PORT rtus:RTUS_PORT; do
    local name=${part%%:*} var=${part##*:}
    if pid_alive "$state/$name.pid"; then printf '%-13s up    127.0.0.1:%s\n' "$name" "${!var}"
    else printf '%-13s down\n' "$name"; all=1; fi
  done
  return $all
}

cmd_env() {
  load_ports || { log "not configured: run ./run stack up first"; exit 1; }
  cat <<ENV
export TAPEDECK_CONFIG='$state/tapedeck.toml'
export TAPEDECK_LIVE_DSN='$(dsn live)'
export TAPEDECK_STORE_DSN='$(dsn tapedeck)'
export TAPEDECK_PLAYBACK_DSN='$(dsn playback)'
export TAPEDECK_NATS_URL='$(nats_urls)'
export TAPEDECK_S3_ENDPOINT='http://127.0.0.1:$S3_PORT'
export TAPEDECK_STACK_S3_BUCKET='$bucket'
export TAPEDECK_RTUS_URL='http://127.0.0.1:$RTUS_PORT'
export TAPEDECK_STACK_DIR='$state'
ENV
}

case "${1:-}" in
  up) cmd_up "${2:-}" ;;
  down) cmd_down ;;
  status) cmd_status ;;
  env) cmd_env ;;
  *) echo "usage: $0 up [--cluster]|down|status|env" >&2; exit 2 ;;
esac
