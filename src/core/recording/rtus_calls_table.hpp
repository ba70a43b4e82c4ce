// tapedeck.rtus_calls (TransformMsg DB): the one home of every query on it. transform stores the
// RTUS calls the timekeeper recorded, msgop replays them, `tapedeck statements stats` counts
// them, the cleanup job trims them. The DDL is in core/schema/store_schema.cpp.
#pragma once

namespace tapedeck::recording::rtus_calls {

// transform: a redelivered call is stored once.
inline constexpr const char* kInsert = R"(
INSERT INTO tapedeck.rtus_calls (call_id, called_at, method, path, headers, body)
VALUES ($1, $2::timestamptz, $3, $4, $5::jsonb, $6)
ON CONFLICT (call_id) DO NOTHING)";

// msgop: one page of a window's calls, by (called_at, call_id).
// $1 last called_at, $2 last call_id, $3 until, $4 page size, $5 after.
inline constexpr const char* kWindowPage = R"(
SELECT call_id, (extract(epoch FROM called_at) * 1000000)::int8, method, path, headers::text, body
  FROM tapedeck.rtus_calls
 WHERE (called_at, call_id) > ($1::timestamptz, $2::text)
   AND called_at > $5::timestamptz
   AND called_at <= $3::timestamptz
 ORDER BY called_at, call_id
 LIMIT $4)";

// msgop: the calls of a window (after $1, up to $2).
inline constexpr const char* kCountWindow = R"(
SELECT count(*) FROM tapedeck.rtus_calls
 WHERE called_at > $1::timestamptz AND called_at <= $2::timestamptz)";

// replaymgr's timeline: calls per interval, as statements::kCountPerInterval.
inline constexpr const char* kCountPerInterval = R"(
SELECT least(((extract(epoch FROM called_at) * 1000000)::int8 - $1::int8) / $3::int8,
             $4::int8 - 1) AS bucket, count(*) AS count
  FROM tapedeck.rtus_calls
 WHERE called_at >= to_timestamp(0) + $1::int8 * interval '1 microsecond'
   AND called_at <= to_timestamp(0) + $2::int8 * interval '1 microsecond'
 GROUP BY 1)";

// `tapedeck statements stats`.
inline constexpr const char* kTotals =
    "SELECT count(*), min(called_at)::text, max(called_at)::text FROM tapedeck.rtus_calls";

// The cleanup: one batch of calls past retention ($1) and before the oldest backup's creation
// ($2, NULL: no backup), $3 rows at most.
inline constexpr const char* kDeleteBatch = R"(
WITH doomed AS (
  SELECT call_id FROM tapedeck.rtus_calls
   WHERE called_at < $1::timestamptz AND ($2::timestamptz IS NULL OR called_at < $2::timestamptz)
   ORDER BY called_at
   LIMIT $3)
DELETE FROM tapedeck.rtus_calls r USING doomed WHERE r.call_id = doomed.call_id)";

}  // namespace tapedeck::recording::rtus_calls
