// A JetStream pull request and the status messages that answer it: pure, so what each answer
// means is tested without a server. PullConsumer::fetch is the I/O around it.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace tapedeck::nats {

// The subject a pull request for `consumer` on `stream` is published to.
std::string pull_request_subject(std::string_view stream, std::string_view consumer);

// The most a request asks for in bytes: with one earlier request's late deliveries, it stays
// within the 64 MiB cnats lets a subscription hold before dropping (as a slow consumer).
inline constexpr std::int64_t kPullRequestMaxBytes = 32LL * 1024 * 1024;

// The request body: up to `batch` messages and kPullRequestMaxBytes. The server ends the
// request after `expires` (none when zero). With `no_wait` it ends it as soon as it has
// delivered what was available.
std::string pull_request_body(int batch, std::chrono::nanoseconds expires, bool no_wait);

// How long the server should keep a request when the caller waits `remaining`: a little less,
// so the status that ends it arrives before the caller stops reading (deliveries after that are
// only picked up by the next fetch). Zero when too little is left to wait for anything.
std::chrono::nanoseconds pull_request_expiry(std::chrono::nanoseconds remaining);

// What a status message on the pull inbox means for the request being read.
enum class PullAnswer {
  keep_reading,   // 100: an idle heartbeat, more may follow
  request_ended,  // 404 or 408: nothing (more) for this request
};

// Reads a status message ("Status" and "Description" headers) that came to the pull inbox of
// `consumer` on `stream`. Throws tapedeck::Error for a status that ends more than the request:
// retry for 503 (no JetStream answered) and for transient 409s (leadership change, too many
// waiting requests); not_found when the consumer was deleted; invalid when the request broke a
// limit of the consumer (400, "Exceeded MaxRequest..."); fail for anything else.
PullAnswer read_pull_status(std::string_view status, std::string_view description,
                            std::string_view stream, std::string_view consumer);

}  // namespace tapedeck::nats
