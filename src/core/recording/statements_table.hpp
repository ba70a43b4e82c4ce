// tapedeck.statements (TransformMsg DB): the one home of every query on it. transform writes
// it, msgop replays it, replaymgr measures it, `tapedeck statements` exports it, the cleanup job
// trims it; each calls the named query here. The DDL is in core/schema/store_schema.cpp.
#pragma once

namespace tapedeck::recording::statements {

// The table is aliased and ORDER BY names s.commit_lsn wherever a query also outputs
// commit_lsn::text: an unqualified name would mean the output column, and LSN text does not
// sort like LSNs ('0/10000' < '0/FFF0'). The queries' text is tuned (see the comments); change
// it only with a measurement.

// --- writing (transform's statement store) ----------------------------------------------------

// A batch goes straight in with COPY when it is new; when it may repeat stored events (a
// redelivery) it is copied into the connection's temporary staging table and inserted, skipping
// duplicates.
inline constexpr const char* kCreateStaging = R"(
CREATE TEMPORARY TABLE IF NOT EXISTS statements_in (
  event_id text, commit_lsn pg_lsn, position bigint, xid xid8, commit_time timestamptz,
  schema_name text, table_name text, op "char", sql text
) ON COMMIT DELETE ROWS)";

inline constexpr const char* kCopyStaging =
    "COPY statements_in (event_id, commit_lsn, position, xid, commit_time, schema_name, "
    "table_name, op, sql) FROM STDIN";

inline constexpr const char* kCopyDirect =
    "COPY tapedeck.statements (event_id, commit_lsn, position, xid, commit_time, schema_name, "
    "table_name, op, sql) FROM STDIN";

inline constexpr const char* kInsertFromStaging = R"(
INSERT INTO tapedeck.statements
  (event_id, commit_lsn, position, xid, commit_time, schema_name, table_name, op, sql)
SELECT event_id, commit_lsn, position, xid, commit_time, schema_name, table_name, op, sql
FROM statements_in
ON CONFLICT (event_id) DO NOTHING)";

// --- replaying (msgop) -----------------------------------------------------------------------

// Where catch-up from a backup can start reading: the commit LSN of the last transaction recorded
// at or before the backup's LSN whose xid is below its snapshot's xmin. Such a transaction had
// ended before the snapshot was taken, its commit record written before; every transaction the
// snapshot does not see commits after the snapshot, so at a higher LSN. A short backward walk of
// the commit-LSN index from the backup's LSN; no row: start from the beginning.
// $1 the backup's LSN, $2 its snapshot.
inline constexpr const char* kCatchUpStart = R"(
SELECT s.commit_lsn::text FROM tapedeck.statements s
 WHERE s.commit_lsn <= $1::pg_lsn AND s.xid < pg_snapshot_xmin($2::pg_snapshot)
 ORDER BY s.commit_lsn DESC, s.position DESC
 LIMIT 1)";

// The transactions not visible in a snapshot, committed at or before `until`, in commit order,
// their commit LSNs in [from, through] (measure_catch_up's bounds, which hold them all: the
// walk of the commit-LSN index neither starts at the beginning of the recording nor ends at its
// end). {0} snapshot, {1} until, {2} from, {3} through, as quoted literals (DECLARE takes no
// parameters).
inline constexpr const char* kCatchUpCursor = R"(
DECLARE msgop_catch_up NO SCROLL CURSOR FOR
SELECT s.commit_lsn::text, s.position, s.xid::text,
       (extract(epoch FROM s.commit_time) * 1000000)::int8, s.sql
  FROM tapedeck.statements s
 WHERE s.commit_lsn >= {2}::pg_lsn AND s.commit_lsn <= {3}::pg_lsn
   AND NOT pg_visible_in_snapshot(s.xid, {0}::pg_snapshot)
   AND s.commit_time <= {1}::timestamptz
 ORDER BY s.commit_lsn, s.position)";

// Verification's catch-up from one backup's snapshot exactly to another's: the transactions not
// visible in snapshot {0} and visible in snapshot {1} (quoted literals), in commit order.
inline constexpr const char* kCatchUpBetweenSnapshotsCursor = R"(
DECLARE msgop_catch_up NO SCROLL CURSOR FOR
SELECT s.commit_lsn::text, s.position, s.xid::text,
       (extract(epoch FROM s.commit_time) * 1000000)::int8, s.sql
  FROM tapedeck.statements s
 WHERE NOT pg_visible_in_snapshot(s.xid, {0}::pg_snapshot)
   AND pg_visible_in_snapshot(s.xid, {1}::pg_snapshot)
 ORDER BY s.commit_lsn, s.position)";

// How many statements catch-up applies (kCatchUpCursor's rows), the total its progress counts
// toward, and the highest commit LSN among them. $1 snapshot, $2 until, $3 kCatchUpStart's LSN.
// The walk of the commit-LSN index ends at the latest commit LSN of the minutes up to `until`
// (tapedeck.statement_minutes, one row per minute recorded): no statement committed at or
// before `until` lies beyond it, and what was recorded after it is never read, however much
// that is.
inline constexpr const char* kMeasureCatchUp = R"(
SELECT count(*), max(s.commit_lsn)::text FROM tapedeck.statements s
 WHERE s.commit_lsn >= $3::pg_lsn
   AND s.commit_lsn <= (SELECT coalesce(max(m.latest_commit_lsn), '0/0'::pg_lsn)
                          FROM tapedeck.statement_minutes m
                         WHERE m.epoch_minute <= tapedeck.epoch_minute($2::timestamptz))
   AND NOT pg_visible_in_snapshot(s.xid, $1::pg_snapshot)
   AND s.commit_time <= $2::timestamptz)";

// One keyset page of the statements committed in (after, until]: a walk of the commit-LSN index
// from the last row returned to the window's last commit LSN, which costs the page alone. The
// time bounds are written so that no index can use them (`+ interval '0'`): planned on the
// commit-time index, every page sorted the rest of the window to find its rows (48 ms against
// 1.7 ms per 1,000-statement page, 100,000-statement window, 10M retained) and the last page
// walked everything recorded after the window.
// $1 after, $2 until, $3/$4 the last (commit_lsn, position) returned, $5 page size, $6 the
// window's last commit LSN (measure_window).
inline constexpr const char* kWindowPage = R"(
SELECT s.commit_lsn::text, s.position, s.xid::text,
       (extract(epoch FROM s.commit_time) * 1000000)::int8, s.sql
  FROM tapedeck.statements s
 WHERE (s.commit_lsn, s.position) > ($3::pg_lsn, $4::int8)
   AND s.commit_lsn <= $6::pg_lsn
   AND s.commit_time + interval '0' > $1::timestamptz
   AND s.commit_time + interval '0' <= $2::timestamptz
 ORDER BY s.commit_lsn, s.position
 LIMIT $5)";

// How many statements a window holds, and its first and last commit LSNs. $1 after, $2 until.
// The subquery is a fence: a bare min(commit_lsn) is planned as a walk of the commit-LSN
// index from the start of the recording to the window's first row (432 ms against 19 ms,
// 1.5M statements before a 100,000-statement window).
inline constexpr const char* kMeasureWindow = R"(
SELECT count(*), min(commit_lsn)::text, max(commit_lsn)::text
  FROM (SELECT commit_lsn FROM tapedeck.statements
         WHERE commit_time > $1::timestamptz AND commit_time <= $2::timestamptz
        OFFSET 0) window_statements)";

// The oldest recorded statement: its commit LSN and time (µs since the epoch); no row when empty.
inline constexpr const char* kOldestStatement = R"(
SELECT s.commit_lsn::text, (extract(epoch FROM s.commit_time) * 1000000)::int8
  FROM tapedeck.statements s ORDER BY s.commit_lsn, s.position LIMIT 1)";

// --- reading back (`tapedeck statements export`, replaymgr) ------------------------------------

// Every statement in commit order; $1 since, $2 until, $3 the least xid (each NULL: no bound).
inline constexpr const char* kExportCursor = R"(
DECLARE statements_export NO SCROLL CURSOR FOR
SELECT s.commit_lsn::text, s.xid::text, s.commit_time::text, s.sql
FROM tapedeck.statements s
WHERE ($1::timestamptz IS NULL OR s.commit_time > $1::timestamptz)
  AND ($2::timestamptz IS NULL OR s.commit_time <= $2::timestamptz)
  AND ($3::xid8 IS NULL OR s.xid >= $3::xid8)
ORDER BY s.commit_lsn, s.position)";

// The newest recorded moment of statements and of RTUS calls (tapedeck.rtus_calls, recorded
// alongside), in one round trip; NULL where a table is empty.
// Times travel as microseconds since the epoch (extract() is exact numeric).
inline constexpr const char* kNewestRecorded = R"(
SELECT (extract(epoch FROM (SELECT max(commit_time) FROM tapedeck.statements)) * 1000000)::int8
         AS statements,
       (extract(epoch FROM (SELECT max(called_at) FROM tapedeck.rtus_calls)) * 1000000)::int8
         AS rtus_calls)";

// The oldest recorded moment of statements and of RTUS calls, the counterpart of
// kNewestRecorded (replaymgr's timeline starts there).
inline constexpr const char* kOldestRecorded = R"(
SELECT (extract(epoch FROM (SELECT min(commit_time) FROM tapedeck.statements)) * 1000000)::int8
         AS statements,
       (extract(epoch FROM (SELECT min(called_at) FROM tapedeck.rtus_calls)) * 1000000)::int8
         AS rtus_calls)";

// replaymgr's timeline: statements per interval. $1 from, $2 to (µs since the epoch, both
// included), $3 the interval's length in µs, $4 the number of intervals; the row's bucket is
// the interval's index (a moment at `to` falls in the last one).
inline constexpr const char* kCountPerInterval = R"(
SELECT least(((extract(epoch FROM commit_time) * 1000000)::int8 - $1::int8) / $3::int8,
             $4::int8 - 1) AS bucket, count(*) AS count
  FROM tapedeck.statements
 WHERE commit_time >= to_timestamp(0) + $1::int8 * interval '1 microsecond'
   AND commit_time <= to_timestamp(0) + $2::int8 * interval '1 microsecond'
 GROUP BY 1)";

// `tapedeck statements stats`: totals, then counts by table and operation.
inline constexpr const char* kTotals =
    "SELECT count(*), count(DISTINCT (commit_lsn, xid)), min(commit_time)::text, "
    "max(commit_time)::text FROM tapedeck.statements";
inline constexpr const char* kCountsByTableAndOp =
    "SELECT schema_name, table_name, op::text, count(*) FROM tapedeck.statements "
    "GROUP BY 1, 2, 3 ORDER BY 1, 2, 3";

// --- trimming (the scheduler's cleanup) -------------------------------------------------------

// One batch of statements past retention.
// $1 cutoff, $2 oldest backup's snapshot (NULL: none), $3 its creation time, $4 batch size,
// $5 its LSN. The last transaction committed at or before that LSN stays: msgop's proof that
// the recording covers the backup (its oldest statement must not be newer than the backup).
inline constexpr const char* kDeleteBatch = R"(
WITH doomed AS (
  SELECT event_id FROM tapedeck.statements
   WHERE commit_time < $1::timestamptz
     AND ($2::pg_snapshot IS NULL
          OR (pg_visible_in_snapshot(xid, $2::pg_snapshot) AND commit_time < $3::timestamptz
              AND commit_lsn < (SELECT max(commit_lsn) FROM tapedeck.statements
                                 WHERE commit_lsn <= $5::pg_lsn)))
   ORDER BY commit_time
   LIMIT $4)
DELETE FROM tapedeck.statements s USING doomed WHERE s.event_id = doomed.event_id)";

// After the statements: the minutes before the oldest statement left (none when it is empty:
// the minutes then bound nothing, and stay until statements are recorded again).
inline constexpr const char* kDeleteOldMinutes = R"(
DELETE FROM tapedeck.statement_minutes
 WHERE epoch_minute < (SELECT tapedeck.epoch_minute(min(commit_time))
                         FROM tapedeck.statements))";

}  // namespace tapedeck::recording::statements
