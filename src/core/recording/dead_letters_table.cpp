// The dead letters a window of the recording holds.
#include "core/recording/dead_letters_table.hpp"

#include <fmt/format.h>

#include "core/pg/params.hpp"

namespace tapedeck::recording::dead_letters {

InWindow in_window(pg::Connection& store, const Window& window, int named) {
  const auto rows = store.exec_params(
      kInWindow,
      pg::Params::of(window.after_lsn ? std::optional(window.after_lsn->str()) : std::nullopt,
                     window.since, window.until, named));
  InWindow found;
  if (rows.rows() == 0) return found;
  found.count = rows.get<std::int64_t>(0, 0);
  for (int row = 0; row < rows.rows(); ++row) {
    found.described.push_back(fmt::format("LSN {} (commit time {}) on {}: {}", rows.text(row, 1),
                                          rows.text(row, 2), rows.text(row, 3), rows.text(row, 4)));
  }
  return found;
}

}  // namespace tapedeck::recording::dead_letters
