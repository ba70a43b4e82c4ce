// natsStatus names, classification and Error construction.
#include "core/nats/status.hpp"

#include <fmt/format.h>

namespace tapedeck::nats {

std::string_view status_name(natsStatus status) {
  switch (status) {
    case NATS_OK:
      return "NATS_OK";
    case NATS_ERR:
      return "NATS_ERR";
    case NATS_PROTOCOL_ERROR:
      return "NATS_PROTOCOL_ERROR";
    case NATS_IO_ERROR:
      return "NATS_IO_ERROR";
    case NATS_LINE_TOO_LONG:
      return "NATS_LINE_TOO_LONG";
    case NATS_CONNECTION_CLOSED:
      return "NATS_CONNECTION_CLOSED";
    case NATS_NO_SERVER:
      return "NATS_NO_SERVER";
    case NATS_STALE_CONNECTION:
      return "NATS_STALE_CONNECTION";
    case NATS_SECURE_CONNECTION_WANTED:
      return "NATS_SECURE_CONNECTION_WANTED";
    case NATS_SECURE_CONNECTION_REQUIRED:
      return "NATS_SECURE_CONNECTION_REQUIRED";
    case NATS_CONNECTION_DISCONNECTED:
      return "NATS_CONNECTION_DISCONNECTED";
    case NATS_CONNECTION_AUTH_FAILED:
      return "NATS_CONNECTION_AUTH_FAILED";
    case NATS_NOT_PERMITTED:
      return "NATS_NOT_PERMITTED";
    case NATS_NOT_FOUND:
      return "NATS_NOT_FOUND";
    case NATS_ADDRESS_MISSING:
      return "NATS_ADDRESS_MISSING";
    case NATS_INVALID_SUBJECT:
      return "NATS_INVALID_SUBJECT";
    case NATS_INVALID_ARG:
      return "NATS_INVALID_ARG";
    case NATS_INVALID_SUBSCRIPTION:
      return "NATS_INVALID_SUBSCRIPTION";
    case NATS_INVALID_TIMEOUT:
      return "NATS_INVALID_TIMEOUT";
    case NATS_ILLEGAL_STATE:
      return "NATS_ILLEGAL_STATE";
    case NATS_SLOW_CONSUMER:
      return "NATS_SLOW_CONSUMER";
    case NATS_MAX_PAYLOAD:
      return "NATS_MAX_PAYLOAD";
    case NATS_MAX_DELIVERED_MSGS:
      return "NATS_MAX_DELIVERED_MSGS";
    case NATS_INSUFFICIENT_BUFFER:
      return "NATS_INSUFFICIENT_BUFFER";
    case NATS_NO_MEMORY:
      return "NATS_NO_MEMORY";
    case NATS_SYS_ERROR:
      return "NATS_SYS_ERROR";
    case NATS_TIMEOUT:
      return "NATS_TIMEOUT";
    case NATS_FAILED_TO_INITIALIZE:
      return "NATS_FAILED_TO_INITIALIZE";
    case NATS_NOT_INITIALIZED:
      return "NATS_NOT_INITIALIZED";
    case NATS_SSL_ERROR:
      return "NATS_SSL_ERROR";
    case NATS_NO_SERVER_SUPPORT:
      return "NATS_NO_SERVER_SUPPORT";
    case NATS_NOT_YET_CONNECTED:
      return "NATS_NOT_YET_CONNECTED";
    case NATS_DRAINING:
      return "NATS_DRAINING";
    case NATS_INVALID_QUEUE_NAME:
      return "NATS_INVALID_QUEUE_NAME";
    case NATS_NO_RESPONDERS:
      return "NATS_NO_RESPONDERS";
    case NATS_MISMATCH:
      return "NATS_MISMATCH";
    case NATS_MISSED_HEARTBEAT:
      return "NATS_MISSED_HEARTBEAT";
  }
  return "NATS_UNKNOWN_STATUS";
}

Recovery classify(natsStatus status, int js_code) {
  switch (js_code) {
    case JSStreamNotFoundErr:
    case JSConsumerNotFoundErr:
    case JSNoMessageFoundErr:
    case JSSequenceNotFoundErr:
      return Recovery::not_found;
    case JSStreamNameExistErr:
    case JSConsumerNameExistErr:
    case JSStreamWrongLastSequenceErr:
    case JSStreamWrongLastMsgIDErr:
    case JSStreamSubjectOverlapErr:
      return Recovery::conflict;
    case JSClusterNotAvailErr:
    case JSClusterNotLeaderErr:
    case JSClusterNoPeersErr:
    case JSStreamStoreFailedErr:
      return Recovery::retry;
    default:
      break;
  }
  switch (status) {
    case NATS_TIMEOUT:
    case NATS_CONNECTION_CLOSED:
    case NATS_CONNECTION_DISCONNECTED:
    case NATS_NO_SERVER:
    case NATS_NO_RESPONDERS:
    case NATS_STALE_CONNECTION:
    case NATS_IO_ERROR:
    case NATS_NOT_YET_CONNECTED:
    case NATS_SLOW_CONSUMER:
    case NATS_MISSED_HEARTBEAT:
      return Recovery::retry;
    case NATS_NOT_FOUND:
      return Recovery::not_found;
    case NATS_INVALID_SUBJECT:
    case NATS_INVALID_ARG:
    case NATS_INVALID_SUBSCRIPTION:
    case NATS_INVALID_TIMEOUT:
    case NATS_INVALID_QUEUE_NAME:
    case NATS_ADDRESS_MISSING:
    case NATS_MAX_PAYLOAD:
      return Recovery::invalid;
    default:
      return Recovery::fail;
  }
}

namespace {
// cnats prefixes its last-error text with the source location: "(js.c:535): text".
std::string_view strip_location(std::string_view text) {
  if (!text.empty() && text.front() == '(') {
    std::size_t end = text.find("): ");
    if (end != std::string_view::npos) text.remove_prefix(end + 3);
  }
  return text;
}
}  // namespace

Error make_error(natsStatus status, std::string_view what, int js_code) {
  natsStatus last_status = NATS_OK;
  const char* last = nats_GetLastError(&last_status);
  std::string message = fmt::format("{}: {}", what, natsStatus_GetText(status));
  // The thread's last error carries the library's detail ("stalled with too many outstanding
  // async published messages", the server's JetStream description); only use it when it
  // belongs to this status and says more than the status text.
  if (last != nullptr && last_status == status) {
    std::string_view detail = strip_location(last);
    if (!detail.empty() && detail != natsStatus_GetText(status)) {
      message += fmt::format(": {}", detail);
    }
  }
  if (status == NATS_NO_RESPONDERS) {
    // cnats also sets "JetStream not enabled" (10076) here, which misleads: say what it means.
    message += " (no stream captures this subject, or JetStream is not ready)";
  } else if (js_code != 0) {
    message += fmt::format(" (JetStream error {})", js_code);
  }
  return Error(ErrorSource::nats, classify(status, js_code), std::move(message),
               std::string(status_name(status)));
}

}  // namespace tapedeck::nats
