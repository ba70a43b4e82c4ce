// natsStatus -> tapedeck::Error: the one place that decides what a NATS failure means to a caller.
#pragma once

#include <nats/nats.h>

#include <string>
#include <string_view>

#include "core/error.hpp"

namespace tapedeck::nats {

// The enum name of a status ("NATS_TIMEOUT"), used as Error::code().
std::string_view status_name(natsStatus status);

// What a caller should do about `status`; `js_code` is the JetStream API error code (jsErrCode)
// when the server answered a JetStream request with an error, else 0.
// Lost or unreachable servers and timeouts are transient (retry); NATS_NOT_FOUND and the
// JetStream "stream/consumer not found" codes are not_found; "name already in use" and
// "wrong last sequence" are conflict; bad arguments are invalid; the rest fail.
Recovery classify(natsStatus status, int js_code = 0);

// An Error for a failed call: "<what>: <status text>[: <library detail>] (<js code>)".
// Reads nats_GetLastError on the calling thread, so call it right after the failing call.
Error make_error(natsStatus status, std::string_view what, int js_code = 0);

// Throws make_error(status, what, js_code) unless status is NATS_OK.
inline void check(natsStatus status, std::string_view what, int js_code = 0) {
  if (status != NATS_OK) throw make_error(status, what, js_code);
}

}  // namespace tapedeck::nats
