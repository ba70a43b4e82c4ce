// Pipeline mode: sending, flushing without deadlock, reading results in order.
#include "core/pg/pipeline.hpp"

#include <fmt/format.h>
#include <libpq-fe.h>

#include <charconv>

#include "core/log.hpp"
#include "core/pg/libpq_error.hpp"
#include "core/pg/socket_wait.hpp"

namespace tapedeck::pg {

namespace {
constexpr std::chrono::milliseconds kNoTimeout{-1};
constexpr std::size_t kFlushEvery = 32;

std::int64_t affected_rows(const PGresult* result) {
  const std::string_view count = PQcmdTuples(const_cast<PGresult*>(result));
  std::int64_t value = 0;
  std::from_chars(count.data(), count.data() + count.size(), value);
  return value;
}
}  // namespace

Pipeline::Pipeline(Connection& connection) : connection_(connection), conn_(connection.handle()) {
  if (PQenterPipelineMode(conn_) != 1) {
    throw detail::connection_error(conn_, "entering pipeline mode (the connection must be idle)");
  }
  if (PQsetnonblocking(conn_, 1) != 0) {
    PQexitPipelineMode(conn_);
    throw detail::connection_error(conn_, "making the connection non-blocking for a pipeline");
  }
}

Pipeline::~Pipeline() {
  try {
    if (PQstatus(conn_) == CONNECTION_OK) {
      if (sent_ > sent_at_sync_ || awaiting_sync_) {
        if (sent_ > sent_at_sync_) send("ROLLBACK");
        sync();
      }
    }
  } catch (const std::exception& error) {
    log::get("pg")->warn("closing a pipeline with unsynced statements: {}", error.what());
  }
  if (PQstatus(conn_) == CONNECTION_OK && PQexitPipelineMode(conn_) != 1) {
    log::get("pg")->warn("leaving pipeline mode failed: {}", PQerrorMessage(conn_));
  }
  PQsetnonblocking(conn_, 0);
}

void Pipeline::send(std::string_view sql, const Params& params) {
  text_.assign(sql);
  after_send(PQsendQueryParams(conn_, text_.c_str(), static_cast<int>(params.size()), nullptr,
                               params.values(), nullptr, nullptr, 0));
}

void Pipeline::send(std::string_view sql) {
  text_.assign(sql);
  after_send(PQsendQueryParams(conn_, text_.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0));
}

void Pipeline::prepare(std::string_view name, std::string_view sql,
                       std::span<const std::uint32_t> types) {
  name_.assign(name);
  text_.assign(sql);
  after_send(PQsendPrepare(conn_, name_.c_str(), text_.c_str(), static_cast<int>(types.size()),
                           types.data()));
}

void Pipeline::send_prepared(std::string_view name, const Params& params) {
  send_prepared(name, std::span(params.values(), params.size()));
}

void Pipeline::send_prepared(std::string_view name, std::span<const char* const> values) {
  text_.assign(name);
  after_send(PQsendQueryPrepared(conn_, text_.c_str(), static_cast<int>(values.size()),
                                 values.data(), nullptr, nullptr, 0));
}

void Pipeline::after_send(int queued) {
  if (queued != 1) {
    throw detail::connection_error(conn_, fmt::format("queueing pipeline statement #{}", sent_));
  }
  ++sent_;
  // Writing after every statement costs a system call per statement here and a read per
  // statement in the server. libpq writes its buffer out by itself once it holds 64 KB (and
  // never blocks doing so); every kFlushEvery statements the rest goes out too, and a full
  // socket is waited on, reading results, so the buffer cannot grow without bound.
  if (sent_ % kFlushEvery == 0) flush();
}

void Pipeline::flush() {
  for (;;) {
    const int pending = PQflush(conn_);
    if (pending == 0) return;
    if (pending < 0) throw detail::connection_error(conn_, "sending pipeline statements");
    // The socket is full: the server may be waiting for us to read its results.
    const auto ready = detail::wait_socket(conn_, true, kNoTimeout);
    if (ready.readable) consume();
  }
}

void Pipeline::consume() {
  if (PQconsumeInput(conn_) != 1) {
    throw detail::connection_error(conn_, "reading pipeline results");
  }
  drain_ready();
}

void Pipeline::drain_ready() {
  while ((done_ < sent_ || awaiting_sync_) && PQisBusy(conn_) == 0) {
    PGresult* result = PQgetResult(conn_);
    if (result == nullptr) {
      ++done_;  // the end of one statement's results
      continue;
    }
    handle(result);
  }
}

void Pipeline::handle(pg_result* raw) {
  Result result(raw);
  switch (PQresultStatus(raw)) {
    case PGRES_PIPELINE_SYNC:
      awaiting_sync_ = false;
      return;
    case PGRES_COMMAND_OK:
    case PGRES_TUPLES_OK:
    case PGRES_EMPTY_QUERY: {
      const std::int64_t rows = affected_rows(raw);
      affected_ += rows;
      rows_.push_back(rows);
      return;
    }
    case PGRES_PIPELINE_ABORTED:
      rows_.push_back(-1);
      return;  // skipped because an earlier statement failed
    default:
      rows_.push_back(-1);
      if (!first_error_) {
        first_error_.emplace(
            detail::result_error(conn_, raw, fmt::format("running pipeline statement #{}", done_)),
            done_);
      }
      return;
  }
}

std::int64_t Pipeline::sync() {
  wait_for_sync();
  const std::int64_t affected = affected_;
  affected_ = 0;
  synced_rows_.swap(rows_);
  rows_.clear();
  if (!first_error_) return affected;
  PipelineError error = std::move(*first_error_);
  first_error_.reset();
  if (PQtransactionStatus(conn_) == PQTRANS_INERROR) {
    // The failure hit an explicit transaction whose COMMIT was skipped: end it, so the
    // pipeline starts clean. This ROLLBACK is not counted as one of the caller's statements.
    send("ROLLBACK");
    wait_for_sync();
    --sent_;
    --done_;
    sent_at_sync_ = sent_;
    affected_ = 0;
    rows_.clear();
    first_error_.reset();
  }
  throw error;
}

void Pipeline::wait_for_sync() {
  if (PQpipelineSync(conn_) != 1) {
    throw detail::connection_error(conn_, "marking a pipeline sync point");
  }
  awaiting_sync_ = true;
  sent_at_sync_ = sent_;
  for (;;) {
    const int pending = PQflush(conn_);
    if (pending < 0) throw detail::connection_error(conn_, "sending pipeline statements");
    drain_ready();
    if (!awaiting_sync_) break;
    const auto ready = detail::wait_socket(conn_, pending == 1, kNoTimeout);
    if (ready.readable) consume();
  }
}

}  // namespace tapedeck::pg
