// poll(2) on a libpq socket.
#include "core/pg/socket_wait.hpp"

#include <fmt/format.h>
#include <poll.h>

#include <cerrno>
#include <cstring>

#include "core/error.hpp"

namespace tapedeck::pg::detail {

SocketReady wait_socket(PGconn* conn, bool want_write, std::chrono::milliseconds timeout) {
  const int socket = PQsocket(conn);
  if (socket < 0) {
    throw Error(ErrorSource::postgres, Recovery::retry,
                "waiting for the server: the connection has no socket (it was lost)");
  }
  pollfd descriptor{};
  descriptor.fd = socket;
  descriptor.events = static_cast<short>(POLLIN | (want_write ? POLLOUT : 0));
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int wait_ms = -1;
    if (timeout.count() >= 0) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      wait_ms = left.count() > 0 ? static_cast<int>(left.count()) : 0;
    }
    const int ready = poll(&descriptor, 1, wait_ms);
    if (ready < 0) {
      if (errno == EINTR) continue;
      throw Error(ErrorSource::postgres, Recovery::retry,
                  fmt::format("waiting for the server: poll failed: {}", std::strerror(errno)));
    }
    SocketReady result;
    if (ready == 0) {
      result.timed_out = true;
      return result;
    }
    // Errors and hang-ups count as readable: the next libpq read reports them.
    result.readable = (descriptor.revents & (POLLIN | POLLERR | POLLHUP)) != 0;
    result.writable = (descriptor.revents & POLLOUT) != 0;
    return result;
  }
}

}  // namespace tapedeck::pg::detail
