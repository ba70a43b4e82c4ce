// Which recorded UPDATEs of a catch-up group a later UPDATE of the same row overwrites whole, or
// a later DELETE removes with the row, so that catch-up, which only needs the state at the
// group's end, can leave them out.
//
// Why: a row updated over and over (a branch balance, a counter, a status) leaves one row
// version per update inside the apply transaction, and every later update of it walks all of
// them; a group of 1,000 statements spends most of its time there (docs/performance.md).
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "msgop/recording_reader.hpp"
#include "msgop/statement_shape.hpp"

namespace tapedeck::msgop {

// The row an UPDATE writes and the columns it sets, as one comparable text, or nullopt when the
// UPDATE is not one that a later UPDATE can overwrite whole: it must be
// `UPDATE <table> SET "c" = <value>, ... WHERE "k" = <value> AND ...`, every condition a column
// equal to a value, and it must leave each condition's column as it found it (a SET of that
// column to the very text of the condition's value, or no SET of it). Two UPDATEs with the same
// identity have the same shape (the same table and SET columns, the same key condition) and the
// same key values: the later one finds the row the earlier one wrote, sets every column the
// earlier one set, and so leaves nothing of the earlier one's write. Pure.
std::optional<std::string> overwritable_row(const ShapedStatement& update);

// One flag per statement of `group`, in order across its transactions: true for an
// overwritable UPDATE (overwritable_row() names its row) that a later statement of the group
// makes void, with no statement in between that could move a row to another key (an UPDATE
// that is not overwritable, which may change a key; DDL; TRUNCATE; an INSERT with an ON
// CONFLICT other than DO NOTHING; anything not an INSERT, UPDATE or DELETE):
// - a later UPDATE with the same identity, which sets all the earlier one set on the same row;
// - a later DELETE of the same table with the same key condition and values, which removes the
//   row and the earlier write with it.
// Left out of one apply transaction, such an UPDATE changes nothing that the transaction's end
// shows:
// - the row it wrote keeps its key until the later statement finds it, or is deleted in between
//   (a DELETE of that key), taking the write with it;
// - the session database runs as a replica, so no trigger sees the UPDATE, and recorded
//   statements read no other row;
// - its one-row check is kept by the later statement, or by a DELETE in between: the key found
//   no row then either, unless an INSERT of it came first, which needs a DELETE of it before.
// Where the earlier UPDATE mattered to a constraint between rows (a unique value swapped away
// and taken by another row), the group fails and catch-up applies it again one statement at a
// time, as recorded. Pure.
std::vector<bool> overwritten_updates(std::span<const RecordedTransaction> group);

}  // namespace tapedeck::msgop
