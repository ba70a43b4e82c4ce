// Exact catch-up (DESIGN §3.3): the recorded transactions after a snapshot, applied as fast as
// the session database takes them, each source transaction whole.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>

#include "core/lsn.hpp"
#include "core/pg/connection.hpp"
#include "msgop/recording_reader.hpp"
#include "msgop/statement_shape.hpp"

namespace tapedeck::msgop {

// Applies whole source transactions to `target` in one transaction of its own: BEGIN, every
// statement pipelined (one command each), a sync that checks rows, COMMIT (in the same round
// trip when no statement has rows to check). A run of TRUNCATEs of one source
// transaction is one command (see recorded_statement.hpp); a DDL statement (two commands in one
// text) syncs the pipeline and runs in order as a simple query inside the same transaction.
// Every recorded UPDATE and DELETE must change exactly one row, as it did in the Live DB:
// otherwise the session database has drifted from the recording, and nothing of the group is
// committed. Any failure rolls the whole group back and throws an Error naming the recorded
// statement (commit LSN, position, xid, SQL). Used by catch-up, seeks and paced replay alike.
// With Inserts::merged and `prepared` (catch-up), consecutive one-row INSERTs
// (recorded_statement::single_row_insert_head) of one shape, table, columns and value types
// alike, go as prepared multi-row INSERTs (multi_row_insert_shape) of 64 rows, and what is left
// of the run in powers of two (32, 16, ..., 1): one command for many, which only the state at
// the end may tell apart, and no parsing or planning; a failure then names the first statement
// of its multi-row INSERT.
// With Commits::each (paced replay), every source transaction of the group is an apply
// transaction of its own, as recorded, and the group only shares round trips: each COMMIT goes
// with the next transaction's statements, or with its own when none of them has rows to check.
// A failure then rolls back its own transaction only; those before it stay applied.
// With `prepared` (catch-up), a recorded INSERT, UPDATE or DELETE that shape_statement takes
// apart runs as a prepared statement of its shape with its values (prepared in the same
// pipeline the first time), and DDL makes `prepared` forget what it prepared. A prepare that
// fails fails the group like its statement would, and its shape runs as text from then on.
// With Overwritten::skipped and Commits::one_for_the_group (catch-up), the UPDATEs that a later
// UPDATE of the group overwrites whole or a later DELETE makes void (overwritten_updates.hpp)
// are left out: the group's end is the same without them. Returns how many were left out.
enum class Inserts { one_by_one, merged };
enum class Commits { one_for_the_group, each };
enum class Overwritten { applied, skipped };
std::size_t apply_transactions(pg::Connection& target, std::span<const RecordedTransaction> group,
                               Inserts inserts = Inserts::one_by_one,
                               Commits commits = Commits::one_for_the_group,
                               PreparedShapes* prepared = nullptr,
                               Overwritten overwritten = Overwritten::applied);

// Applies `batch` at full speed, for a catch-up or a seek forward, where only the state at the
// end counts: one apply transaction, runs of inserts merged, statements prepared by shape
// through `prepared`, overwritten UPDATEs left out as `overwritten` says. Should that fail,
// `prepared` forgets what it prepared and the batch is applied again one statement at a time as
// recorded text, every statement applied, so that the failure names its statement (or, should
// it pass, the batch is applied all the same). Returns how many UPDATEs were left out.
std::size_t apply_at_full_speed(pg::Connection& target, std::span<const RecordedTransaction> batch,
                                PreparedShapes& prepared, Overwritten overwritten);

// The oldest recorded statement: where the recording reaches back to.
struct RecordingStart {
  Lsn commit_lsn;
  Instant commit_time;
};

// Why catch-up from a snapshot taken at `backup_lsn` cannot be exact, or nullopt when the
// recording reaches back to it. Capture streams every commit from the moment its slot exists
// and never skips one (DESIGN §3.1), so one recorded commit at or before the snapshot's LSN
// proves every later commit is recorded; without one (`oldest` after the LSN, or nothing
// recorded at all) transactions between the snapshot and the recording may be missing. Pure.
std::optional<std::string> recording_gap(const std::optional<RecordingStart>& oldest,
                                         Lsn backup_lsn);

// Why a session database cannot be exact through `through` when it starts from a snapshot at
// `backup_lsn`: the dead letters (tapedeck.dead_letters) of changes committed after the
// snapshot and at or before `through` (or whose commit time is unknown) are changes the
// recording holds no statement for. Names the first few and their count; nullopt when there
// are none.
std::optional<std::string> dead_letters_in_window(pg::Connection& store, Lsn backup_lsn,
                                                  Instant through);

// Reads the oldest recorded statement from the store (nullopt when there is none).
std::optional<RecordingStart> recording_start(pg::Connection& store);

struct CatchUpOptions {
  int batch_statements = 1000;  // statements per apply transaction (msgop.batch_statements)
  int queued_batches = 2;       // groups read ahead while one is applied
  // Whether UPDATEs overwritten later in their group are left out. Applied when a trigger of
  // the session database fires on replayed changes: it would see them.
  Overwritten overwritten = Overwritten::skipped;
};

struct CatchUpResult {
  std::int64_t statements = 0;   // recorded statements caught up, overwritten ones included
  std::int64_t overwritten = 0;  // of them, UPDATEs left out as overwritten in their group
  std::int64_t transactions = 0;
  std::int64_t batches = 0;
  bool stopped = false;  // keep_going said no before the end
};

// Called after each applied batch with the totals so far; false stops the catch-up there (a
// batch boundary, so the database holds whole source transactions only).
using KeepGoing = std::function<bool(const CatchUpResult& so_far)>;

// Applies to `target`, in (commit_lsn, position) order, every transaction `filter` selects
// from `store`. A reader thread streams pages from `store` and groups whole source
// transactions (batch_statements statements or more, one transaction larger than that alone)
// while the calling thread applies the previous group, so reading and applying overlap; memory
// is bounded by queued_batches. Catch-up only needs the state at its end, so a group is one
// apply transaction (group commit) whose statements go through libpq's pipeline mode, one
// sync per group, runs of inserts merged (Inserts::merged), other statements prepared by shape
// (PreparedShapes: PostgreSQL parses and plans each shape once, not each statement), UPDATEs
// overwritten later in the group left out unless options.overwritten says otherwise; a DDL
// statement runs in order as a simple query inside that transaction. A group that fails so
// is applied again one statement at a time, as recorded text, so that the failure names its
// statement.
// Borrows both connections (each used by one thread only during the call). Throws the first
// Error of either side; a failed statement's Error names it (commit LSN, position, xid, SQL)
// and its whole group was rolled back.
CatchUpResult catch_up(pg::Connection& store, pg::Connection& target, TransactionFilter filter,
                       const CatchUpOptions& options, const KeepGoing& keep_going = {});

}  // namespace tapedeck::msgop
