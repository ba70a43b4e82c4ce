// tapedeck.dead_letters (TransformMsg DB): the one home of every query on it. transform writes
// the events it could not convert, `tapedeck statements stats` shows them, the cleanup job
// trims them. The DDL is in core/schema/store_schema.cpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/lsn.hpp"
#include "core/pg/connection.hpp"

namespace tapedeck::recording::dead_letters {

// transform: a redelivered event is dead-lettered once. $6 commit LSN, $7 commit time in
// microseconds since the epoch: NULL when the message did not say.
inline constexpr const char* kInsert = R"(
INSERT INTO tapedeck.dead_letters (stream, stream_sequence, subject, raw, reason, commit_lsn,
                                   commit_time)
VALUES ($1, $2, $3, decode($4, 'hex'), $5, $6::pg_lsn,
        to_timestamp(0) + $7::int8 * interval '1 microsecond')
ON CONFLICT (stream, stream_sequence) DO NOTHING)";

// The dead letters of changes in a window of the recording (see in_window): commit LSN after
// $1 and commit time in ($2, $3], each bound NULL for none; one whose commit time is unknown
// counts whatever the times. The first $4, oldest first, each with the count of all.
inline constexpr const char* kInWindow = R"(
SELECT count(*) OVER (), commit_lsn::text, coalesce(commit_time::text, 'unknown'), subject,
       left(reason, 300)
  FROM tapedeck.dead_letters
 WHERE commit_lsn IS NOT NULL
   AND ($1::pg_lsn IS NULL OR commit_lsn > $1::pg_lsn)
   AND ($2::timestamptz IS NULL OR commit_time IS NULL OR commit_time > $2::timestamptz)
   AND ($3::timestamptz IS NULL OR commit_time IS NULL OR commit_time <= $3::timestamptz)
 ORDER BY commit_lsn, id
 LIMIT $4)";

// A window of the recording; every bound is optional. Times are timestamptz text.
struct Window {
  std::optional<Lsn> after_lsn;      // commit LSN > this (a session: its backup's)
  std::optional<std::string> since;  // commit time > this
  std::optional<std::string> until;  // commit time <= this
};

struct InWindow {
  std::int64_t count = 0;
  // The oldest few, each "LSN <lsn> (commit time <time>) on <subject>: <reason>".
  std::vector<std::string> described;
};

// The dead letters of changes `window` holds, changes the recording has no statement for: a
// session database or an exported script over the window cannot be exact. Only those whose
// place is known (a commit LSN) count; `named` of them are described.
InWindow in_window(pg::Connection& store, const Window& window, int named);

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
