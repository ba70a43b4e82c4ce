// Internal to src/core/pg: waiting on a connection's socket with poll(2).
#pragma once

#include <libpq-fe.h>

#include <chrono>

namespace tapedeck::pg::detail {

struct SocketReady {
  bool readable = false;
  bool writable = false;
  bool timed_out = false;
};

// Waits until the socket of `conn` can be read (and written, when `want_write`), or
// `timeout` passes (negative: no limit). EINTR restarts the wait. Throws Error (postgres,
// retry) when the connection has no socket or poll fails.
SocketReady wait_socket(PGconn* conn, bool want_write, std::chrono::milliseconds timeout);

}  // namespace tapedeck::pg::detail
