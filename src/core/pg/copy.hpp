// COPY FROM STDIN (a writer of raw data) and COPY TO STDOUT (a reader with a callback).
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

#include "core/pg/connection.hpp"

namespace tapedeck::pg {

// Runs `COPY ... FROM STDIN` on construction; write() sends data in any chunking (the
// COPY format's rows need not align with chunks); finish() ends it and returns the rows
// the server stored, or throws the server's error (bad data shows up here). Destroying an
// unfinished CopyIn aborts the COPY, so nothing of it is stored, and leaves the connection
// usable. Borrows `connection`, which must outlive it and do nothing else meanwhile.
// Neither copyable nor movable; one thread.
class CopyIn {
 public:
  CopyIn(Connection& connection, std::string_view copy_sql);
  CopyIn(const CopyIn&) = delete;
  CopyIn& operator=(const CopyIn&) = delete;
  ~CopyIn();

  void write(std::string_view data);
  std::int64_t finish();

 private:
  void abort(const char* reason) noexcept;

  Connection& connection_;
  std::string sql_for_errors_;
  bool open_ = false;
};

// Runs `COPY ... TO STDOUT` and hands every chunk (one row in text/CSV format) to
// `on_chunk`; returns the number of rows. The view is valid during the call only. If
// `on_chunk` throws, the COPY is cancelled, the connection drained back to idle, and the
// exception passed on.
std::int64_t copy_out(Connection& connection, std::string_view copy_sql,
                      const std::function<void(std::string_view chunk)>& on_chunk);

}  // namespace tapedeck::pg
