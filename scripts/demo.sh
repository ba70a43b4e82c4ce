#!/usr/bin/env bash
# The main job on the embedded default: record a small operational database while it works,
# take a backup in the middle, then play it back at a past moment and prove the result.
# Run by `./run demo`, which has started the local stack and exported its environment.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tapedeck="$root/build/tapedeck"
work="$TAPEDECK_STACK_DIR/demo"
source "$TAPEDECK_STACK_DIR/ports.env"

# --- settings of this run -----------------------------------------------------------------
run_id=$(date -u +%Y%m%d%H%M%S)
server=${TAPEDECK_LIVE_DSN% dbname=*}  # host=.. port=.. user=..
pg_port=$(sed -n 's/.*port=\([0-9]*\).*/\1/p' <<<"$server")
rate=${DEMO_RATE:-150}            # workload transactions per second
phase_seconds=${DEMO_PHASE_SECONDS:-30}
speed=${DEMO_SPEED:-5}

export TAPEDECK_LIVE_DSN="$server dbname=demo_live"
export TAPEDECK_STORE_DSN="$server dbname=demo_store"
export TAPEDECK_PLAYBACK_DATABASE_TEMPLATE="demo_<id>"
export TAPEDECK_PLAYBACK_DROP_ON_END=false  # the demo checks the database after the end
export TAPEDECK_STORAGE_URL="file://$work/snapshots"
# NATS names of their own per run, so nothing of an earlier run is replayed into this one.
export TAPEDECK_NATS_CDC_STREAM="DEMO_CDC_$run_id"
export TAPEDECK_NATS_CDC_PREFIX="demo$run_id"

export TAPEDECK_CAPTURE_SLOT_NAME="demo_$run_id"
export TAPEDECK_CAPTURE_PUBLICATION="demo"
export TAPEDECK_LOG_LEVEL=${TAPEDECK_LOG_LEVEL:-warn}

bold=$(tput bold 2>/dev/null || true)
plain=$(tput sgr0 2>/dev/null || true)
say() { printf '%s[demo %s]%s %s\n' "$bold" "$(date -u +%H:%M:%S)" "$plain" "$*"; }
die() { say "FAILED: $*"; exit 1; }
admin() { psql "$server dbname=postgres" -X -q -v ON_ERROR_STOP=1 "$@"; }
live() { psql "$TAPEDECK_LIVE_DSN" -X -q -v ON_ERROR_STOP=1 "$@"; }
now_utc() { live -Atc "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"; }

checksums_sql="
SELECT string_agg(format('%-13s %7s rows  md5 %s', name, rows, sum), E'\n' ORDER BY name) FROM (
  SELECT 'devices' AS name, count(*) AS rows,
         md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) AS sum FROM demo.devices t
  UNION ALL
  SELECT 'measurements', count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), ''))
    FROM demo.measurements t
  UNION ALL
  SELECT 'alarms', count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), ''))
    FROM demo.alarms t
  UNION ALL
  SELECT 'operator_log', count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), ''))
    FROM demo.operator_log t) sums"

# --- clean up on every way out --------------------------------------------------------------
run_pid=""
current_pid=""  # the step running under `interruptible`
screenshot_pid=""
cleanup() {
  if [[ -n $current_pid ]]; then kill -TERM "$current_pid" 2>/dev/null || true; fi
  if [[ -n $screenshot_pid ]]; then kill -TERM "$screenshot_pid" 2>/dev/null || true; fi
  if [[ -n $run_pid ]] && kill -0 "$run_pid" 2>/dev/null; then
    kill -TERM "$run_pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$run_pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$run_pid" 2>/dev/null || true
  fi
  pkill -f "pgbench.*demo_live" 2>/dev/null || true
  # A slot left behind would hold WAL forever.
  admin -c "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots
            WHERE slot_name = '$TAPEDECK_CAPTURE_SLOT_NAME' AND NOT active" >/dev/null 2>&1 || true
}
trap cleanup EXIT
trap 'echo; say "interrupted: stopping everything"; exit 130' INT TERM

# Runs a long step in the background and waits for it: bash runs the INT trap only after a
# foreground command ends, but at once during `wait`. (Background commands of a script ignore
# SIGINT; cleanup stops them with SIGTERM.)
interruptible() {
  "$@" &
  current_pid=$!
  local status=0
  wait "$current_pid" || status=$?
  current_pid=""
  return "$status"
}

# --- 1. a fresh operational database ---------------------------------------------------------
say "preparing: databases demo_live (the Live DB) and demo_store (the TransformMsg DB)"
mkdir -p "$work"
rm -rf "$work/snapshots"
admin -c "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots
          WHERE slot_name LIKE 'demo\_%' AND NOT active" >/dev/null
for db in $(admin -Atc "SELECT datname FROM pg_database WHERE datname LIKE 'demo\_%'"); do
  admin -c "DROP DATABASE \"$db\" WITH (FORCE)"
done
admin -c "CREATE DATABASE demo_live" -c "CREATE DATABASE demo_store"
live -f "$root/scripts/demo/schema.sql"

# --- 2. every component in one process -------------------------------------------------------
say "starting tapedeck run (capture, transform, timekeeper, scheduler, replaymgr, dbop, msgop)"
"$tapedeck" run >"$work/run.log" 2>&1 &
run_pid=$!
for _ in $(seq 1 150); do
  curl -fs "http://127.0.0.1:$REPLAYMGR_PORT/healthz" >/dev/null 2>&1 && break
  kill -0 "$run_pid" 2>/dev/null || die "tapedeck run exited; see $work/run.log"
  sleep 0.2
done
curl -fs "http://127.0.0.1:$REPLAYMGR_PORT/healthz" >/dev/null || die "replaymgr did not come up"
console_url="http://127.0.0.1:$CONSOLE_PORT/"
console_token=$(sed -n 's/^api_token = "\(.*\)"$/\1/p' "$TAPEDECK_CONFIG")
say "web console: $console_url (its token is replaymgr.api_token in $TAPEDECK_CONFIG)"

workload() {
  local seconds=$1
  "/usr/lib/postgresql/15/bin/pgbench" -n -h 127.0.0.1 -p "$pg_port" -U tapedeck \
    -c 4 -j 2 -R "$rate" -T "$seconds" \
    -f "$root/scripts/demo/measure.sql@6" -f "$root/scripts/demo/alarms.sql@2" \
    -f "$root/scripts/demo/maintenance.sql@1" demo_live >"$work/pgbench.log" 2>&1
}
workload_failed() { die "the workload failed; see $work/pgbench.log"; }

# A quiet moment between two workload phases: every transaction before it committed earlier,
# every one after it later, so the checksums taken now are the Live DB "as it was then".
mark_moment() {
  sleep 1
  local moment
  moment=$(now_utc)
  live -Atc "$checksums_sql" >"$work/checksums-$1.txt"
  sleep 1
  echo "$moment"
}

# --- 3. record -------------------------------------------------------------------------------
say "workload: 4 connections, ~$rate transactions/s of inserts, updates and deletes"
workload "$phase_seconds" &
workload_pid=$!
interruptible sleep $((phase_seconds / 2))
say "taking a backup while transactions are in flight"
interruptible "$tapedeck" backup run >"$work/backup.log" 2>&1 ||
  die "backup failed; see $work/backup.log"
wait "$workload_pid" || workload_failed
interruptible workload "$phase_seconds" || workload_failed
start_time=$(mark_moment start)
say "moment A = $start_time (checksums recorded)"
interruptible workload "$phase_seconds" || workload_failed
end_time=$(mark_moment end)
say "moment B = $end_time (checksums recorded)"
interruptible workload 5 || workload_failed
say "workload done; waiting until every change is stored in the TransformMsg DB"
final_lsn=$(live -Atc "SELECT pg_current_wal_lsn()")
for _ in $(seq 1 300); do
  caught_up=$(live -Atc "SELECT coalesce(bool_or(confirmed_flush_lsn >= '$final_lsn'), false)
                         FROM pg_replication_slots WHERE slot_name = '$TAPEDECK_CAPTURE_SLOT_NAME'")
  [[ $caught_up == t ]] && break
  sleep 1
done
[[ $caught_up == t ]] || die "the recording did not catch up within 5 minutes; see $work/run.log"
say "a second backup, then tapedeck verify: the first backup, caught up exactly to the second's snapshot from the recording, must equal it table by table"
interruptible "$tapedeck" backup run >>"$work/backup.log" 2>&1 ||
  die "the second backup failed; see $work/backup.log"
"$tapedeck" statements stats | sed 's/^/    /'
"$tapedeck" backup list | sed 's/^/    /'
verify_status=0
interruptible "$tapedeck" verify >"$work/verify.txt" 2>"$work/verify.log" || verify_status=$?
sed 's/^/    /' "$work/verify.txt"
[[ $verify_status == 0 ]] ||
  die "verify: the recording does not replay exactly (exit $verify_status); see $work/verify.log"
verdict=$(head -1 "$work/verify.txt")

# --- 4. play back ----------------------------------------------------------------------------
say "session: restore the backup, catch up exactly to A, then replay A..B at speed $speed"
session=$("$tapedeck" session init --start "$start_time" --end "$end_time" --speed "$speed" \
  --name demo --json) || die "session init refused"
id=$(jq -r .id <<<"$session")
# The console's view of the session once it plays (or, on a slow machine, once it has ended),
# taken in headless Chromium beside the replay: it opens the page now and waits for that.
screenshot="$work/console-session.png"
CONSOLE_TOKEN="$console_token" node "$root/tests/browser/session_screenshot.mjs" "$console_url" \
  "$id" "$screenshot" playing,paused,ended >"$work/screenshot.log" 2>&1 &
screenshot_pid=$!
t_init=$(date +%s%N)
state=""
while :; do
  shown=$("$tapedeck" session show "$id" --json)
  state=$(jq -r .state <<<"$shown")
  printf '\r    %-12s statements applied %-8s' "$state" "$(jq -r .statements_applied <<<"$shown")"
  case $state in
    ready) break ;;
    failed | ended) echo; die "session $state: $(jq -r .error <<<"$shown")" ;;
  esac
  sleep 0.5
done
echo
t_ready=$(date +%s%N)
ready_seconds=$(((t_ready - t_init) / 1000000))
ready_seconds="$((ready_seconds / 1000)).$(printf %03d $((ready_seconds % 1000)))"
dsn=$(jq -r .database_dsn <<<"$shown")
caught_up_statements=$(jq -r .statements_applied <<<"$shown")  # catch-up's count until start
say "ready after $ready_seconds s: restored and $caught_up_statements statements caught up"
psql "$dsn" -X -Atc "$checksums_sql" >"$work/checksums-session-start.txt"
diff -u "$work/checksums-start.txt" "$work/checksums-session-start.txt" >/dev/null ||
  die "the session database differs from the Live DB at A:
$(diff -u "$work/checksums-start.txt" "$work/checksums-session-start.txt")"
say "proof at A: the session database equals the Live DB at A, table by table:"
sed 's/^/    /' "$work/checksums-start.txt"

"$tapedeck" session start "$id" >/dev/null
"$tapedeck" session watch "$id" || true
if wait "$screenshot_pid"; then
  say "the console's view of the session: $screenshot"
else
  say "warning: no screenshot of the console; see $work/screenshot.log"
fi
shown=$("$tapedeck" session show "$id" --json)
[[ $(jq -r .state <<<"$shown") == ended ]] || die "session ended as $(jq -r '.state + ": " + .error' <<<"$shown")"
psql "$dsn" -X -Atc "$checksums_sql" >"$work/checksums-session-end.txt"
diff -u "$work/checksums-end.txt" "$work/checksums-session-end.txt" >/dev/null ||
  die "after replay the session database differs from the Live DB at B:
$(diff -u "$work/checksums-end.txt" "$work/checksums-session-end.txt")"
say "proof at B: after the paced replay the session database equals the Live DB at B:"
sed 's/^/    /' "$work/checksums-end.txt"

# --- 5. the tape transport: a point-in-time session at B, sought back to A -------------------
say "tape transport: a point-in-time session at B, then a seek back to A (restore and exact catch-up)"
pit=$("$tapedeck" session init --start "$end_time" --name demo-seek --json) ||
  die "point-in-time session init refused"
pit_id=$(jq -r .id <<<"$pit")
# Waits until the session is ready with no seek under way; prints its object (messages on
# stderr, since callers capture the object).
wait_ready() {
  local shown_now
  for _ in $(seq 1 1200); do
    shown_now=$("$tapedeck" session show "$1" --json)
    case $(jq -r .state <<<"$shown_now") in
      ready) [[ $(jq -r .seek_to <<<"$shown_now") == null ]] && { echo "$shown_now"; return 0; } ;;
      failed | ended) die "session $1 $(jq -r '.state + ": " + .error' <<<"$shown_now")" >&2 ;;
    esac
    sleep 0.2
  done
  die "session $1 was not ready within 4 minutes" >&2
}
wait_ready "$pit_id" >/dev/null
t_seek=$(date +%s%N)
"$tapedeck" session seek "$pit_id" "$start_time" >/dev/null || die "seek back to A refused"
pit=$(wait_ready "$pit_id")
seek_ms=$((($(date +%s%N) - t_seek) / 1000000))
seek_seconds="$((seek_ms / 1000)).$(printf %03d $((seek_ms % 1000)))"
psql "$(jq -r .database_dsn <<<"$pit")" -X -Atc "$checksums_sql" >"$work/checksums-seek-start.txt"
diff -u "$work/checksums-start.txt" "$work/checksums-seek-start.txt" >/dev/null ||
  die "after the seek back the session database differs from the Live DB at A:
$(diff -u "$work/checksums-start.txt" "$work/checksums-seek-start.txt")"
say "seek from B back to A took $seek_seconds s; the session database equals the Live DB at A again"
"$tapedeck" session end "$pit_id" >/dev/null

rtus_replayed=$(curl -fs "$TAPEDECK_RTUS_URL/calls" | jq '[.[] | select(.path | startswith("/playback"))] | length' || echo "?")
say "summary"
cat <<SUMMARY
    session            $id ($(jq -r .database_name <<<"$shown"))
    restore+catch-up   $ready_seconds s, $caught_up_statements statements
    replay A..B        $(jq -r .statements_applied <<<"$shown") statements in total, speed $speed, behind schedule at the end $(jq -r .behind_ms <<<"$shown") ms
    verify             $verdict
    seek B -> A        $seek_seconds s (point-in-time session $pit_id, equal to the Live DB at A)
    RTUS calls         $(jq -r .rtus_calls_sent <<<"$shown") replayed to the playback RTUS ($rtus_replayed received there)
    web console        $console_url (screenshot $screenshot)
    logs               $work/run.log
SUMMARY
psql "$server dbname=postgres" -X -q -c "DROP DATABASE IF EXISTS \"$(jq -r .database_name <<<"$shown")\" WITH (FORCE)"
say "done: the recording played back exactly"
