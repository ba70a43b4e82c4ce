// cnats library open/close.
#include "core/nats/library.hpp"

#include <nats/nats.h>

#include "core/log.hpp"
#include "core/nats/status.hpp"

namespace tapedeck::nats {

LibraryGuard::LibraryGuard(std::chrono::milliseconds close_timeout)
    : close_timeout_(close_timeout) {
  // -1: cnats' default lock spin count.
  check(nats_Open(-1), "initialising the NATS client library");
}

LibraryGuard::~LibraryGuard() {
  natsStatus status = nats_CloseAndWait(close_timeout_.count());
  if (status != NATS_OK) {
    log::get("nats")->warn(
        "closing the NATS client library: {} ({}); some NATS object outlived the library guard",
        natsStatus_GetText(status), status_name(status));
  }
}

}  // namespace tapedeck::nats
