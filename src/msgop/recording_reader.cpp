// Keyset-paginated readers of recorded statements and RTUS calls.
#include "msgop/recording_reader.hpp"

#include <fmt/format.h>

#include <charconv>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/pg/params.hpp"
#include "core/recording/rtus_calls_table.hpp"
#include "core/recording/statements_table.hpp"
#include "core/session.hpp"
#include "core/sql_quote.hpp"

namespace tapedeck::msgop {

namespace {

std::string time_param(Instant time) {
  return session::format_time(time);
}

std::uint64_t parse_u64(std::string_view text, std::string_view what) {
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size()) {
    throw Error(ErrorSource::postgres, Recovery::fail,
                fmt::format("msgop: unreadable {} '{}' in tapedeck.statements", what, text));
  }
  return value;
}

Lsn parse_lsn(std::string_view text) {
  const auto lsn = Lsn::parse(text);
  if (!lsn) {
    throw Error(ErrorSource::postgres, Recovery::fail,
                fmt::format("msgop: unreadable commit_lsn '{}' in tapedeck.statements", text));
  }
  return *lsn;
}

}  // namespace

TransactionFilter TransactionFilter::catch_up(const TxidSnapshot& snapshot, Instant until,
                                              const CatchUpExtent& extent) {
  TransactionFilter filter;
  filter.snapshot = snapshot.str();
  filter.until = until;
  filter.catch_up_extent = extent;
  return filter;
}

TransactionFilter TransactionFilter::between_snapshots(const TxidSnapshot& older,
                                                       const TxidSnapshot& newer) {
  TransactionFilter filter;
  filter.snapshot = older.str();
  filter.through_snapshot = newer.str();
  return filter;
}

TransactionFilter TransactionFilter::window(Instant after, Instant until,
                                            const WindowExtent& extent) {
  TransactionFilter filter;
  filter.after = after;
  filter.until = until;
  filter.first_commit_lsn = extent.first_commit_lsn;
  filter.last_commit_lsn = extent.last_commit_lsn;
  return filter;
}

TransactionReader::TransactionReader(pg::Connection& store, TransactionFilter filter, int page_rows)
    : store_(store), filter_(std::move(filter)), page_rows_(page_rows) {
  if (page_rows_ < 1) {
    throw Error(ErrorSource::config, Recovery::invalid,
                "msgop: the page size must be at least 1 statement (msgop.batch_statements)");
  }
  if (filter_.after) {
    // From 0/0 the first page would walk the (commit_lsn, position) index through the whole
    // recording before the window; no statement of the window sorts before its lowest commit
    // LSN. A window without one is empty.
    if (filter_.first_commit_lsn && filter_.last_commit_lsn) {
      last_lsn_ = *filter_.first_commit_lsn;
      last_lsn_text_ = last_lsn_.str();
    } else {
      exhausted_ = true;
    }
  }
}

TransactionReader::~TransactionReader() {
  if (!cursor_open_) return;
  try {
    store_.exec("ROLLBACK");
  } catch (const std::exception&) {
    // The connection is gone; so is its transaction.
  }
}

bool TransactionReader::fill() {
  if (page_ && row_ < page_.rows()) return true;
  if (exhausted_) return false;
  if (filter_.snapshot) {
    if (!cursor_open_) {
      store_.exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
      cursor_open_ = true;
      if (filter_.through_snapshot) {
        store_.exec(fmt::format(recording::statements::kCatchUpBetweenSnapshotsCursor,
                                sql::quote_literal(*filter_.snapshot),
                                sql::quote_literal(*filter_.through_snapshot)));
      } else {
        store_.exec(fmt::format(recording::statements::kCatchUpCursor,
                                sql::quote_literal(*filter_.snapshot),
                                sql::quote_literal(time_param(filter_.until)),
                                sql::quote_literal(filter_.catch_up_extent.from.str()),
                                sql::quote_literal(filter_.catch_up_extent.through.str())));
      }
    }
    page_ = store_.exec(fmt::format("FETCH FORWARD {} FROM msgop_catch_up", page_rows_));
  } else {
    page_ = store_.exec_params(
        recording::statements::kWindowPage,
        pg::Params::of(time_param(filter_.after.value_or(Instant{})), time_param(filter_.until),
                       last_lsn_.str(), last_position_, page_rows_,
                       filter_.last_commit_lsn->str()));
  }
  row_ = 0;
  if (page_.rows() < page_rows_) {
    exhausted_ = true;
    if (cursor_open_) {
      store_.exec("COMMIT");
      cursor_open_ = false;
    }
  }
  return page_.rows() > 0;
}

std::optional<RecordedTransaction> TransactionReader::next() {
  if (!fill()) return std::nullopt;
  RecordedTransaction transaction;
  transaction.commit_lsn = parse_lsn(page_.text(row_, 0));
  transaction.xid = Xid{parse_u64(page_.text(row_, 2), "xid")};
  transaction.commit_time = Instant{Micros{page_.get<std::int64_t>(row_, 3)}};
  // A transaction may continue on the next page: keep reading while the key is the same.
  while (fill()) {
    const std::string_view lsn_text = page_.text(row_, 0);
    const Lsn lsn = lsn_text == last_lsn_text_ ? last_lsn_ : parse_lsn(lsn_text);
    const Xid xid = Xid{parse_u64(page_.text(row_, 2), "xid")};
    if (lsn != transaction.commit_lsn || xid != transaction.xid) break;
    transaction.statements.emplace_back(page_.text(row_, 4));
    last_lsn_ = lsn;
    last_lsn_text_.assign(lsn_text);
    last_position_ = page_.get<std::int64_t>(row_, 1);
    transaction.positions.push_back(last_position_);
    ++row_;
    ++statements_read_;
  }
  return transaction;
}

RtusCallReader::RtusCallReader(pg::Connection& store, Instant after, Instant until, int page_rows)
    : store_(store), after_(after), until_(until), page_rows_(page_rows), last_time_(after) {}

std::optional<RtusCall> RtusCallReader::next() {
  if (index_ >= page_.size()) {
    if (exhausted_) return std::nullopt;
    const auto result =
        store_.exec_params(recording::rtus_calls::kWindowPage,
                           pg::Params::of(time_param(last_time_), last_id_, time_param(until_),
                                          page_rows_, time_param(after_)));
    page_.clear();
    index_ = 0;
    for (int row = 0; row < result.rows(); ++row) {
      RtusCall call;
      call.id = result.get<std::string>(row, 0);
      call.time_us = result.get<std::int64_t>(row, 1);
      call.method = result.get<std::string>(row, 2);
      call.path = result.get<std::string>(row, 3);
      const auto headers = nlohmann::json::parse(result.text(row, 4), nullptr, false);
      if (headers.is_object()) {
        for (const auto& [name, value] : headers.items()) {
          call.headers.emplace_back(name,
                                    value.is_string() ? value.get<std::string>() : value.dump());
        }
      }
      call.body = result.get<std::string>(row, 5);
      page_.push_back(std::move(call));
    }
    if (result.rows() < page_rows_) exhausted_ = true;
    if (page_.empty()) return std::nullopt;
    last_time_ = Instant{Micros{page_.back().time_us}};
    last_id_ = page_.back().id;
  }
  return std::move(page_[index_++]);
}

WindowExtent measure_window(pg::Connection& store, Instant after, Instant until) {
  const pg::Result result = store.exec_params(recording::statements::kMeasureWindow,
                                              pg::Params::of(time_param(after), time_param(until)));
  WindowExtent extent;
  extent.statements = result.get<std::int64_t>(0, 0);
  if (!result.is_null(0, 1)) extent.first_commit_lsn = parse_lsn(result.text(0, 1));
  if (!result.is_null(0, 2)) extent.last_commit_lsn = parse_lsn(result.text(0, 2));
  return extent;
}

CatchUpExtent measure_catch_up(pg::Connection& store, const TxidSnapshot& snapshot, Lsn backup_lsn,
                               Instant until) {
  CatchUpExtent extent;
  const auto start = store.exec_params(recording::statements::kCatchUpStart,
                                       pg::Params::of(backup_lsn.str(), snapshot.str()));
  if (start.rows() == 1) extent.from = parse_lsn(start.text(0, 0));
  const auto measured =
      store.exec_params(recording::statements::kMeasureCatchUp,
                        pg::Params::of(snapshot.str(), time_param(until), extent.from.str()));
  extent.statements = measured.get<std::int64_t>(0, 0);
  // Nothing to apply: an empty range ([from, 0/0]) makes the cursor's walk empty too.
  extent.through = measured.is_null(0, 1) ? Lsn{} : parse_lsn(measured.text(0, 1));
  return extent;
}

std::int64_t count_rtus_calls(pg::Connection& store, Instant after, Instant until) {
  return store
      .exec_params(recording::rtus_calls::kCountWindow,
                   pg::Params::of(time_param(after), time_param(until)))
      .get<std::int64_t>(0, 0);
}

}  // namespace tapedeck::msgop
