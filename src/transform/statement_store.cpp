// The store transaction: COPY straight into tapedeck.statements; when the batch holds an event
// already stored (a redelivery), COPY into a temporary table and INSERT ... ON CONFLICT DO
// NOTHING instead.
#include "transform/statement_store.hpp"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>

#include "core/debezium/temporal.hpp"
#include "core/error.hpp"
#include "core/pg/copy.hpp"
#include "core/pg/transaction.hpp"
#include "core/recording/dead_letters_table.hpp"
#include "core/recording/rtus_calls_table.hpp"
#include "core/recording/statements_table.hpp"
#include "core/recording/table_shapes_table.hpp"
#include "core/recording/watermarks_table.hpp"
#include "core/schema/store_schema.hpp"

namespace tapedeck::transform {
namespace {

constexpr std::string_view kUniqueViolation = "23505";

// Text that PostgreSQL accepts: valid UTF-8 without NUL; anything else shown escaped.
std::string printable(std::string_view text) {
  if (simdjson::validate_utf8(text) && text.find('\0') == std::string_view::npos) {
    return std::string(text);
  }
  std::string out;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte == 0 || byte >= 0x80) {
      out += fmt::format("\\x{:02x}", byte);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const char c : bytes) {
    const auto byte = static_cast<unsigned char>(c);
    out.push_back(kDigits[byte >> 4]);
    out.push_back(kDigits[byte & 15]);
  }
  return out;
}

template <typename Integer>
void append_number(std::string& out, Integer value) {
  char buffer[24];
  out.append(buffer, std::to_chars(buffer, buffer + sizeof buffer, value).ptr);
}

// Whether any of the 8 bytes of `word` needs escaping in COPY text: a byte below 14 (NUL, tab,
// newline and carriage return are among them; the others are checked again byte by byte) or
// a backslash. Bit tricks from "Bit Twiddling Hacks" (hasless, haszero).
bool may_need_escape(std::uint64_t word) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
  constexpr std::uint64_t kHighs = 0x8080808080808080ULL;
  const std::uint64_t below_14 = (word - kOnes * 14) & ~word & kHighs;
  const std::uint64_t backslashes = word ^ (kOnes * '\\');
  const std::uint64_t is_backslash = (backslashes - kOnes) & ~backslashes & kHighs;
  return (below_14 | is_backslash) != 0;
}

}  // namespace

void append_copy_text(std::string& out, std::string_view text) {
  // Runs without a special byte are appended whole: statements are long and mostly plain, so
  // they are scanned 8 bytes at a time.
  std::size_t plain_from = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    if (i + 8 <= text.size()) {
      std::uint64_t word = 0;
      std::memcpy(&word, text.data() + i, sizeof word);
      if (!may_need_escape(word)) {
        i += 8;
        continue;
      }
    }
    const char c = text[i];
    const char* escape = nullptr;
    switch (c) {
      case '\\':
        escape = "\\\\";
        break;
      case '\t':
        escape = "\\t";
        break;
      case '\n':
        escape = "\\n";
        break;
      case '\r':
        escape = "\\r";
        break;
      case '\0':
        throw Error(ErrorSource::input, Recovery::invalid,
                    "a value holds a NUL character, which PostgreSQL text cannot store");
      default:
        ++i;
        continue;
    }
    out.append(text.data() + plain_from, i - plain_from);
    out.append(escape, 2);
    plain_from = ++i;
  }
  out.append(text.data() + plain_from, text.size() - plain_from);
}

void Batch::add_statement(const StatementRow& row) {
  row_.clear();
  append_copy_text(row_, row.event_id);
  row_.push_back('\t');
  row_.append(row.commit_lsn.str());
  row_.push_back('\t');
  append_number(row_, row.position);
  row_.push_back('\t');
  append_number(row_, row.xid.value);
  row_.push_back('\t');
  debezium::append_pg_timestamp(row_, row.commit_time_us, 1'000'000);
  row_.append("+00\t");
  append_copy_text(row_, row.schema);
  row_.push_back('\t');
  append_copy_text(row_, row.table);
  row_.push_back('\t');
  row_.push_back(row.op);
  row_.push_back('\t');
  append_copy_text(row_, row.sql);
  row_.push_back('\n');
  copy_data_.append(row_);
  ++statement_count_;
}

void Batch::clear() {
  copy_data_.clear();
  statement_count_ = 0;
  rtus_calls_.clear();
  dead_letters_.clear();
  shape_changes_.clear();
  hold_changes_.clear();
}

StatementStore::StatementStore(const std::string& dsn, std::string stream)
    : connection_(dsn, "tapedeck-transform"), stream_(std::move(stream)) {
  schema::migrate_store(connection_);
  connection_.exec(recording::statements::kCreateStaging);
}

WriteResult StatementStore::write(const Batch& batch, std::optional<Lsn> watermark) {
  WriteResult result;
  pg::Transaction transaction(connection_);
  if (batch.statements() > 0) {
    // Redeliveries are rare: try the direct COPY (half the work) and fall back on a conflict.
    bool stored = false;
    transaction.exec("SAVEPOINT direct_copy");
    try {
      pg::CopyIn copy(connection_, recording::statements::kCopyDirect);
      copy.write(batch.copy_data());
      copy.finish();
      transaction.exec("RELEASE SAVEPOINT direct_copy");
      result.statements_stored = static_cast<std::int64_t>(batch.statements());
      stored = true;
    } catch (const Error& error) {
      if (error.code() != kUniqueViolation) throw;
      transaction.exec("ROLLBACK TO SAVEPOINT direct_copy");
    }
    if (!stored) {
      {
        pg::CopyIn copy(connection_, recording::statements::kCopyStaging);
        copy.write(batch.copy_data());
        copy.finish();
      }
      result.statements_stored =
          transaction.exec(recording::statements::kInsertFromStaging).affected_rows();
    }
  }
  for (const auto& call : batch.rtus_calls()) {
    nlohmann::json headers = nlohmann::json::object();
    for (const auto& [key, value] : call.headers) headers[key] = value;
    result.rtus_calls_stored +=
        transaction
            .exec_params(recording::rtus_calls::kInsert,
                         pg::Params::of(call.id, format_rfc3339_micros(call.time_us), call.method,
                                        call.path, headers.dump(), call.body))
            .affected_rows();
  }
  for (const auto& letter : batch.dead_letters()) {
    result.dead_letters_stored +=
        transaction
            .exec_params(
                recording::dead_letters::kInsert,
                pg::Params::of(
                    stream_, static_cast<std::int64_t>(letter.stream_sequence),
                    printable(letter.subject), hex(letter.raw), printable(letter.reason),
                    letter.commit_lsn ? std::optional(letter.commit_lsn->str()) : std::nullopt,
                    letter.commit_time_us))
            .affected_rows();
  }
  for (const auto& change : batch.shape_changes()) {
    if (change.shape) {
      transaction.exec_params(
          recording::table_shapes::kUpsert,
          pg::Params::of(change.schema, change.table, *change.shape, change.commit_lsn.str()));
    } else {
      transaction.exec_params(recording::table_shapes::kForget,
                              pg::Params::of(change.schema, change.table, change.commit_lsn.str()));
    }
  }
  write_hold_changes(batch.hold_changes(), result);
  if (watermark) upsert_watermark(*watermark);
  transaction.commit();
  return result;
}

void StatementStore::write_hold_changes(const std::vector<HoldChange>& changes,
                                        WriteResult& result) {
  // Arrivals are messages no check watched; almost never is anything held, so the held
  // transactions are read once, and only arrivals of those are written.
  std::optional<std::vector<Lsn>> held;
  for (const auto& change : changes) {
    if (change.kind == HoldChange::Kind::hold) {
      if (recording::watermarks::hold(connection_, stream_, change.commit_lsn,
                                      change.missing.multirange())) {
        if (held) held->push_back(change.commit_lsn);
      } else {
        result.holds_released.push_back(change.commit_lsn);
      }
      continue;
    }
    if (!held) held = recording::watermarks::held(connection_, stream_);
    if (std::ranges::find(*held, change.commit_lsn) == held->end()) continue;
    if (recording::watermarks::arrived(connection_, stream_, change.commit_lsn, change.position,
                                       change.end)) {
      std::erase(*held, change.commit_lsn);
      result.holds_released.push_back(change.commit_lsn);
    }
  }
}

std::vector<std::tuple<std::string, std::string, std::string>> StatementStore::table_shapes() {
  const auto rows = connection_.exec(recording::table_shapes::kAll);
  std::vector<std::tuple<std::string, std::string, std::string>> shapes;
  shapes.reserve(static_cast<std::size_t>(rows.rows()));
  for (int row = 0; row < rows.rows(); ++row) {
    shapes.emplace_back(rows.get<std::string>(row, 0), rows.get<std::string>(row, 1),
                        rows.get<std::string>(row, 2));
  }
  return shapes;
}

void StatementStore::write_watermark(Lsn watermark) {
  pg::Transaction transaction(connection_);
  upsert_watermark(watermark);
  transaction.commit();
}

void StatementStore::upsert_watermark(Lsn watermark) {
  recording::watermarks::advance(connection_, stream_, watermark);
}

}  // namespace tapedeck::transform
