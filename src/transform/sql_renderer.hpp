// One change event to one executable SQL statement (INSERT/UPDATE/DELETE/TRUNCATE).
#pragma once

#include <string>

#include "transform/change_event.hpp"
#include "transform/table_info.hpp"
#include "transform/value_decoder.hpp"

namespace tapedeck::transform {

struct RenderedStatement {
  bool skipped = false;     // true for events with no table statement (op m)
  std::string sql;          // the statement, without a trailing semicolon
  std::string skip_reason;  // why, when skipped
};

// Renders statements. c -> INSERT; r -> INSERT ... ON CONFLICT DO NOTHING; u -> UPDATE
// (placeholder columns left out of SET); d -> DELETE; t -> TRUNCATE ONLY; m -> skipped.
// A primary key change (a d with a new key, then a c marked as moved) becomes two UPDATEs:
// the first moves the row to its new key, the second sets the columns the c carries, so a
// TOASTed column the c could only send as a placeholder keeps its value.
// Rows are found by the replica identity key from `table`, or for REPLICA IDENTITY FULL
// tables without a key by every old column, touching exactly one of identical rows.
// `table` may be null only for c/r/t events that carry a schema.
// Stateless after construction; const methods are safe from several threads.
class SqlRenderer {
 public:
  explicit SqlRenderer(DecodeOptions options = {});

  RenderedStatement render(const ChangeEvent& event, const TableInfo* table) const;
  // Same, reusing `out`'s storage.
  void render(const ChangeEvent& event, const TableInfo* table, RenderedStatement& out) const;

  const ValueDecoder& decoder() const { return decoder_; }

 private:
  ValueDecoder decoder_;
};

}  // namespace tapedeck::transform
