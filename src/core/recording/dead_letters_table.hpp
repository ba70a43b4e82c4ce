// tapedeck.dead_letters (TransformMsg DB): the one home of every query on it. transform writes
// the events it could not convert, `tapedeck statements stats` shows them, the cleanup job
// trims them. The DDL is in core/schema/store_schema.cpp.
#pragma once

namespace tapedeck::recording::dead_letters {

// transform: a redelivered event is dead-lettered once. $6 commit LSN, $7 commit time in
// microseconds since the epoch: NULL when the message did not say.
inline constexpr const char* kInsert = R"(
INSERT INTO tapedeck.dead_letters (stream, stream_sequence, subject, raw, reason, commit_lsn,
                                   commit_time)
VALUES ($1, $2, $3, decode($4, 'hex'), $5, $6::pg_lsn,
        to_timestamp(0) + $7::int8 * interval '1 microsecond')
ON CONFLICT (stream, stream_sequence) DO NOTHING)";

// msgop: the dead letters of changes a session's window holds, which its database cannot have
// (committed after the backup's LSN $1 and at or before $2, microseconds since the epoch; one
// whose time is unknown counts when it is after the backup). The first $3, oldest first.
inline constexpr const char* kInWindow = R"(
SELECT commit_lsn::text, coalesce(commit_time::text, 'unknown'), subject, left(reason, 300),
       count(*) OVER ()
  FROM tapedeck.dead_letters
 WHERE commit_lsn > $1::pg_lsn
   AND (commit_time IS NULL OR commit_time <= to_timestamp(0) + $2::int8 * interval '1 microsecond')
 ORDER BY commit_lsn, id
 LIMIT $3)";

// `tapedeck statements export`: the dead letters of changes in its window (commit time in
// ($1, $2], either bound NULL for none; one whose time is unknown counts): their count and
// the oldest.
inline constexpr const char* kInExportWindow = R"(
SELECT count(*) OVER (), commit_lsn::text, coalesce(commit_time::text, 'unknown'), subject,
       left(reason, 300)
  FROM tapedeck.dead_letters
 WHERE commit_lsn IS NOT NULL
   AND ($1::timestamptz IS NULL OR commit_time IS NULL OR commit_time > $1::timestamptz)
   AND ($2::timestamptz IS NULL OR commit_time IS NULL OR commit_time <= $2::timestamptz)
 ORDER BY commit_lsn, id
 LIMIT 1)";

// `tapedeck statements stats`: the count and the newest five.
inline constexpr const char* kCount = "SELECT count(*) FROM tapedeck.dead_letters";
inline constexpr const char* kNewest =
    "SELECT received_at::text, stream, stream_sequence, subject, left(reason, 200), "
    "coalesce(' (commit LSN ' || commit_lsn::text || ')', '') "
    "FROM tapedeck.dead_letters ORDER BY id DESC LIMIT 5";

// replaymgr's timeline: dead letters per interval of their arrival, as
// statements::kCountPerInterval.
inline constexpr const char* kCountPerInterval = R"(
SELECT least(((extract(epoch FROM received_at) * 1000000)::int8 - $1::int8) / $3::int8,
             $4::int8 - 1) AS bucket, count(*) AS count
  FROM tapedeck.dead_letters
 WHERE received_at >= to_timestamp(0) + $1::int8 * interval '1 microsecond'
   AND received_at <= to_timestamp(0) + $2::int8 * interval '1 microsecond'
 GROUP BY 1)";

// The cleanup: one batch of dead letters received before $1, $2 rows at most.
inline constexpr const char* kDeleteBatch = R"(
WITH doomed AS (
  SELECT id FROM tapedeck.dead_letters WHERE received_at < $1::timestamptz
   ORDER BY received_at LIMIT $2)
DELETE FROM tapedeck.dead_letters d USING doomed WHERE d.id = doomed.id)";

}  // namespace tapedeck::recording::dead_letters
