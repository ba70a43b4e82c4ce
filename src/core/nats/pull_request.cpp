// Pull request subject, body and expiry; what each status on the pull inbox means.
#include "core/nats/pull_request.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/error.hpp"

namespace tapedeck::nats {

std::string pull_request_subject(std::string_view stream, std::string_view consumer) {
  return fmt::format("$JS.API.CONSUMER.MSG.NEXT.{}.{}", stream, consumer);
}

std::string pull_request_body(int batch, std::chrono::nanoseconds expires, bool no_wait) {
  std::string body = fmt::format("{{\"batch\":{},\"max_bytes\":{}", batch, kPullRequestMaxBytes);
  if (expires.count() > 0) body += fmt::format(",\"expires\":{}", expires.count());
  if (no_wait) body += ",\"no_wait\":true";
  body += '}';
  return body;
}

std::chrono::nanoseconds pull_request_expiry(std::chrono::nanoseconds remaining) {
  using std::chrono::milliseconds;
  // nats-server keeps time in milliseconds here; below one there is nothing to wait for.
  const std::chrono::nanoseconds margin =
      std::min<std::chrono::nanoseconds>(remaining / 5, milliseconds(100));
  const std::chrono::nanoseconds expiry = remaining - margin;
  return expiry < milliseconds(1) ? std::chrono::nanoseconds(0) : expiry;
}

PullAnswer read_pull_status(std::string_view status, std::string_view description,
                            std::string_view stream, std::string_view consumer) {
  if (status == "100") return PullAnswer::keep_reading;
  if (status == "404" || status == "408") return PullAnswer::request_ended;
  const std::string what =
      fmt::format("pulling from consumer {} on stream {}: the server answered {} {}", consumer,
                  stream, status, description);
  if (status == "503") {
    throw Error(ErrorSource::nats, Recovery::retry,
                what + " (no responders: is JetStream running and does the stream have a leader?)",
                "NATS_NO_RESPONDERS");
  }
  if (status == "409") {
    if (description == "Consumer Deleted") {
      throw Error(ErrorSource::nats, Recovery::not_found,
                  what + "; the service recreates it when it restarts", "NATS_NOT_FOUND");
    }
    if (description.starts_with("Exceeded MaxRequest")) {
      throw Error(ErrorSource::nats, Recovery::invalid,
                  what + "; raise the consumer's limit or lower the batch size", "NATS_ERR");
    }
    if (description == "Consumer is push based") {
      throw Error(ErrorSource::nats, Recovery::fail,
                  what +
                      "; tapedeck needs a pull consumer of that name: delete the push "
                      "consumer (nats consumer rm) so it is recreated",
                  "NATS_ERR");
    }
    // Leadership change, too many waiting requests: the next request may well succeed.
    throw Error(ErrorSource::nats, Recovery::retry, what, "NATS_ERR");
  }
  if (status == "400") {
    throw Error(ErrorSource::nats, Recovery::invalid, what + " (a malformed pull request)",
                "NATS_ERR");
  }
  throw Error(ErrorSource::nats, Recovery::fail, what, "NATS_ERR");
}

}  // namespace tapedeck::nats
