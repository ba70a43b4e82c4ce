// One PostgreSQL connection shared by the API's request threads, opened on first use and
// reopened after it was lost.
#pragma once

#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "core/error.hpp"
#include "core/pg/connection.hpp"

namespace tapedeck::replaymgr {

// Owns at most one Connection. with() serialises its callers (API traffic is light; one
// connection per server is enough) and opens the connection when there is none, running
// `on_open` (e.g. the schema migration) first. An Error the connection classes as transient
// (Recovery::retry: lost connection, server restarting) drops the connection so the next
// caller opens a new one; the Error still reaches the caller. Thread-safe.
class ConnectionSlot {
 public:
  ConnectionSlot(std::string dsn, std::string application_name,
                 std::function<void(pg::Connection&)> on_open = {})
      : dsn_(std::move(dsn)),
        application_name_(std::move(application_name)),
        on_open_(std::move(on_open)) {}
  ~ConnectionSlot() = default;
  ConnectionSlot(const ConnectionSlot&) = delete;
  ConnectionSlot& operator=(const ConnectionSlot&) = delete;

  template <typename Function>
  auto with(Function&& function) -> decltype(function(std::declval<pg::Connection&>())) {
    std::lock_guard lock(mutex_);
    try {
      if (!connection_) {
        pg::Connection opened(dsn_, application_name_);
        if (on_open_) on_open_(opened);
        connection_.emplace(std::move(opened));
      }
      return function(*connection_);
    } catch (const Error& error) {
      if (error.retryable()) connection_.reset();
      throw;
    }
  }

 private:
  std::mutex mutex_;
  std::string dsn_;
  std::string application_name_;
  std::function<void(pg::Connection&)> on_open_;
  std::optional<pg::Connection> connection_;
};

}  // namespace tapedeck::replaymgr
