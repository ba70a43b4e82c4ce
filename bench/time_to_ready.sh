#!/usr/bin/env bash
# Time to a ready session, the headline figure. A Live DB made by `pgbench -i` (scale S: about
# 15 MB a unit, 70 is about 1 GB) is recorded by `tapedeck run`; a backup is taken; then
# pgbench runs N transactions (5 statements each, 4 clients) and the recording catches up.
# A session at the last moment is timed from `session init` to `ready`, split into restore
# (download, checks, pg_restore) and catch-up. Beside it, in the same run: `pg_restore -j` alone
# of the same dump, then the same catch-up statements applied to that copy by a pipelined group
# commit with every statement already in memory (bench_catch_up_ceiling): the ideal is the sum
# of the two. The copy and the session must then hold the same pgbench balances.
# Prints figures and `ratio:` lines; asserts nothing.
#
#   bench/time_to_ready.sh [--scale S] [--transactions N]     (defaults 70 and 200000)
# Needs the local stack's environment: ./run bench time_to_ready, or eval "$(./run stack env)".
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tapedeck="$root/build/tapedeck"
scale=70
transactions=200000
while (($#)); do
  case $1 in
    --scale) scale=$2; shift 2 ;;
    --transactions) transactions=$2; shift 2 ;;
    *) echo "usage: $0 [--scale S] [--transactions N]" >&2; exit 2 ;;
  esac
done
: "${TAPEDECK_LIVE_DSN:?run under the stack: eval \"\$(./run stack env)\"}"

id=$(date -u +%H%M%S)$$
server=${TAPEDECK_LIVE_DSN% dbname=*}
work="/tmp/tapedeck-ttr-$id"  # $id holds the time and this shell's pid
mkdir -m 755 "$work"  # the stack's PostgreSQL runs as another user and reads nothing here
export TAPEDECK_LIVE_DSN="$server dbname=ttr_live_$id"
export TAPEDECK_STORE_DSN="$server dbname=ttr_store_$id"
export TAPEDECK_PLAYBACK_DATABASE_TEMPLATE="ttr_${id}_<id>"
export TAPEDECK_STORAGE_URL="file://$work/snapshots"
export TAPEDECK_NATS_CDC_STREAM="TTR_CDC_$id"
export TAPEDECK_NATS_CDC_PREFIX="ttr$id"
export TAPEDECK_CAPTURE_SLOT_NAME="ttr_$id"
export TAPEDECK_CAPTURE_PUBLICATION="ttr_$id"
export TAPEDECK_TRANSFORM_DURABLE="ttr_$id"
# Session events go through the stack's EVENTS stream (its subjects are fixed).
export TAPEDECK_DBOP_WORK_DIR="$work/dbop"
export TAPEDECK_SCHEDULER_BACKUP_CRON="0 0 1 1 *"  # backups only when this script takes them
export TAPEDECK_LOG_LEVEL=info
# Any free port for each component's /metrics (the API keeps its own: the CLI finds it there), so
# that nothing else on the machine is in the way.
for component in CAPTURE TRANSFORM TIMEKEEPER SCHEDULER DBOP MSGOP; do
  export "TAPEDECK_${component}_LISTEN=127.0.0.1:0"
done

admin() { psql "$server dbname=postgres" -X -q -At -v ON_ERROR_STOP=1 "$@"; }
live() { psql "$TAPEDECK_LIVE_DSN" -X -q -At -v ON_ERROR_STOP=1 "$@"; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

# Waits (10 minutes at most) until everything the Live DB wrote so far is stored: the slot
# confirms only what transform has committed.
wait_for_recording() {
  local written caught_up
  written=$(live -c "SELECT pg_current_wal_lsn()")
  for _ in $(seq 1 6000); do
    caught_up=$(admin -c "SELECT coalesce(bool_or(confirmed_flush_lsn >= '$written'), false)
                          FROM pg_replication_slots WHERE slot_name = '$TAPEDECK_CAPTURE_SLOT_NAME'")
    [[ $caught_up == t ]] && return 0
    sleep 0.1
  done
  return 1
}

# Deletes this run's CDC stream (gigabytes: left behind, a few runs fill JetStream's storage and
# capture's publishes fail with "insufficient resources"). A JetStream API request spoken in
# NATS's text protocol: no nats CLI needed; the PONG says the server has read it.
delete_cdc_stream() {
  local address=${TAPEDECK_NATS_URL#nats://} reply=""
  exec 3<>"/dev/tcp/${address%:*}/${address##*:}" || return 0
  printf 'CONNECT {"verbose":false}\r\nPUB $JS.API.STREAM.DELETE.%s _INBOX.ttr_%s 0\r\n\r\nPING\r\n' \
    "$TAPEDECK_NATS_CDC_STREAM" "$id" >&3
  while read -r -t 5 reply <&3 && [[ $reply != PONG* ]]; do :; done
  exec 3>&-
}

run_pid=""
cleanup() {
  if [[ -n $run_pid ]]; then
    kill -TERM "$run_pid" 2>/dev/null || true
    wait "$run_pid" 2>/dev/null || true
  fi
  admin -c "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots
            WHERE slot_name = '$TAPEDECK_CAPTURE_SLOT_NAME'" >/dev/null 2>&1 || true
  for db in $(admin -c "SELECT datname FROM pg_database WHERE datname LIKE 'ttr%$id%'"); do
    admin -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 || true
  done
  delete_cdc_stream || true
  rm -rf "$work"
}
trap cleanup EXIT

admin -c "CREATE DATABASE ttr_live_$id" -c "CREATE DATABASE ttr_store_$id" \
  -c "CREATE DATABASE ttr_ceiling_$id"
started=$(now)
pgbench -i -q -s "$scale" -I dtgvp "$TAPEDECK_LIVE_DSN" >"$work/pgbench-init.log" 2>&1
echo "live db: pgbench scale $scale, $(live -c "SELECT pg_size_pretty(pg_database_size(current_database()))"), made in $(elapsed "$started" "$(now)") s"

"$tapedeck" run >"$work/run.log" 2>&1 &
run_pid=$!
# A new slot is active while it waits for the server's running transactions to end, and what
# commits meanwhile is not decoded: recording starts once it has a confirmed LSN.
for _ in $(seq 1 1800); do
  active=$(admin -c "SELECT count(*) FROM pg_replication_slots
                     WHERE slot_name = '$TAPEDECK_CAPTURE_SLOT_NAME' AND active
                       AND confirmed_flush_lsn IS NOT NULL")
  [[ $active == 1 ]] && break
  sleep 0.1
done
[[ $active == 1 ]] || { echo "capture did not start; see $work/run.log" >&2; tail "$work/run.log" >&2; exit 1; }

# Exact catch-up needs a recorded commit before the backup (see the recording-gap check).
live -c "INSERT INTO pgbench_history VALUES (0, 0, 0, 0, now(), 'before the backup')"
wait_for_recording || { echo "the recording did not start; see $work/run.log" >&2; exit 1; }

started=$(now)
"$tapedeck" backup run >"$work/backup.log" 2>&1 || { cat "$work/backup.log" >&2; exit 1; }
echo "backup taken in $(elapsed "$started" "$(now)") s"

started=$(now)
pgbench -n -t $((transactions / 4)) -c 4 -j 2 "$TAPEDECK_LIVE_DSN" >"$work/pgbench-run.log" 2>&1
echo "workload: $transactions pgbench transactions in $(elapsed "$started" "$(now)") s"
wait_for_recording || { echo "the recording did not catch up; see $work/run.log" >&2; exit 1; }
echo "recording stored $(elapsed "$started" "$(now)") s after the workload began"
sleep 1.5  # the session's moment: after the last commit, with the timekeeper past it
start_time=$(live -c "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')")
sleep 1.5

began=$(now)
session=$("$tapedeck" session init --start "$start_time" --speed max --name ttr --json)
session_id=$(sed -n 's/.*"id": *"\([^"]*\)".*/\1/p' <<<"$session" | head -1)
restoring_at="" catching_up_at="" ready_at=""
for _ in $(seq 1 36000); do
  state=$("$tapedeck" session show "$session_id" --json | sed -n 's/.*"state": *"\([a-z_]*\)".*/\1/p' | head -1)
  case $state in
    restoring) [[ -n $restoring_at ]] || restoring_at=$(now) ;;
    catching_up) [[ -n $catching_up_at ]] || catching_up_at=$(now) ;;
    ready) ready_at=$(now); break ;;
    failed | ended) echo "session $session_id is $state" >&2; "$tapedeck" session show "$session_id" >&2; exit 1 ;;
  esac
  sleep 0.1
done
[[ -n $ready_at ]] || { echo "the session did not become ready" >&2; exit 1; }
[[ -n $catching_up_at ]] || catching_up_at=$ready_at
statements=$(psql "$TAPEDECK_STORE_DSN" -X -q -At -c "SELECT count(*) FROM tapedeck.statements")
total=$(elapsed "$began" "$ready_at")
restore=$(elapsed "$began" "$catching_up_at")
catch_up=$(elapsed "$catching_up_at" "$ready_at")
grep -F "$session_id" "$work/run.log" | cut -c12-23,24-200 | sed 's/^/  log: /'
echo "session: init -> ready $total s (restore $restore s, catch-up $catch_up s of at most $statements statements)"

dump=$(find "$work/snapshots" -type f -name '*.dump' -printf '%s %p\n' | sort -n | tail -1 | cut -d' ' -f2)
started=$(now)
pg_restore --no-owner --no-acl --exit-on-error --jobs=2 --dbname="$server dbname=ttr_ceiling_$id" "$dump"
alone=$(elapsed "$started" "$(now)")
echo "pg_restore -j 2 alone (ceiling): $alone s for a $(du -h "$dump" | cut -f1) dump"
ceiling_log="$work/ceiling.log"
"$root/build/bench/bench_catch_up_ceiling" "$TAPEDECK_STORE_DSN" "$TAPEDECK_LIVE_DSN" \
  "$server dbname=ttr_ceiling_$id" "$start_time" >"$ceiling_log"
grep -v '^ceiling_seconds:' "$ceiling_log"
pipelined=$(sed -n 's/^ceiling_seconds: //p' "$ceiling_log")
balances() { psql "$server dbname=$1" -X -q -At -c "SELECT sum(abalance), (SELECT count(*) FROM pgbench_history) FROM pgbench_accounts"; }
session_db=$(admin -c "SELECT datname FROM pg_database WHERE datname LIKE 'ttr\_${id}\_%' LIMIT 1")
if [[ $(balances "$session_db") == $(balances "ttr_ceiling_$id") ]]; then
  echo "the session and the ceiling's copy hold the same balances and history"
else
  echo "the session and the ceiling's copy differ: $(balances "$session_db") against $(balances "ttr_ceiling_$id")"
fi
ideal=$(awk -v r="$alone" -v p="$pipelined" 'BEGIN { printf "%.2f", r + p }')
echo "ideal: restore alone + pipelined apply = $ideal s (target: ready <= 60 s and <= 1.2x ideal)"
awk -v t="$total" -v i="$ideal" 'BEGIN { printf "ratio: ready / ideal %.2f\n", t / i }'
awk -v t="$restore" -v a="$alone" 'BEGIN { printf "ratio: restore phase / pg_restore alone %.2f\n", t / a }'
awk -v t="$catch_up" -v p="$pipelined" 'BEGIN { printf "ratio: catch-up phase / pipelined apply %.2f\n", t / p }'
