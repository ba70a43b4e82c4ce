// The queries on tapedeck.watermarks.
#include "core/recording/watermarks_table.hpp"

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/pg/params.hpp"

namespace tapedeck::recording::watermarks {

namespace {

constexpr const char* kUpsertWatermark = R"(
INSERT INTO tapedeck.watermarks (name, lsn) VALUES ($1, $2::pg_lsn)
ON CONFLICT (name) DO UPDATE
SET lsn = GREATEST(tapedeck.watermarks.lsn, EXCLUDED.lsn), updated_at = clock_timestamp())";
constexpr const char* kWatermarkQuery = "SELECT lsn::text FROM tapedeck.watermarks WHERE name = $1";
constexpr const char* kTableExists = "SELECT to_regclass('tapedeck.watermarks') IS NOT NULL";
// The lateral subquery walks the commit-LSN index of tapedeck.statements backwards from the
// watermark: one row read.
constexpr const char* kRecordedUntil = R"(
SELECT (extract(epoch FROM s.commit_time) * 1000000)::int8
  FROM tapedeck.watermarks w
  CROSS JOIN LATERAL (SELECT commit_time FROM tapedeck.statements
                       WHERE commit_lsn <= w.lsn
                       ORDER BY commit_lsn DESC, position DESC LIMIT 1) s
 WHERE w.name = $1)";
constexpr const char* kList =
    "SELECT name, lsn::text, updated_at::text FROM tapedeck.watermarks ORDER BY 1";

}  // namespace

void advance(pg::Connection& store, std::string_view name, Lsn lsn) {
  store.exec_params(kUpsertWatermark, pg::Params::of(std::string(name), lsn.str()));
}

std::optional<Lsn> read(pg::Connection& store, std::string_view name) {
  const auto result = store.exec_params(kWatermarkQuery, pg::Params::of(std::string(name)));
  if (result.rows() == 0) return std::nullopt;
  const auto text = result.text(0, 0);
  const auto lsn = Lsn::parse(text);
  if (!lsn) {
    throw Error(ErrorSource::postgres, Recovery::fail,
                fmt::format("the transform watermark is '{}', which is not an LSN", text));
  }
  return lsn;
}

std::optional<std::chrono::sys_time<std::chrono::microseconds>> recorded_until(
    pg::Connection& store, std::string_view name) {
  const auto result = store.exec_params(kRecordedUntil, pg::Params::of(std::string(name)));
  if (result.rows() == 0) return std::nullopt;
  return std::chrono::sys_time<std::chrono::microseconds>(
      std::chrono::microseconds(result.get<std::int64_t>(0, 0)));
}

bool table_exists(pg::Connection& store) {
  return store.exec(kTableExists).get<bool>(0, 0);
}

std::vector<Watermark> list(pg::Connection& store) {
  const auto result = store.exec(kList);
  std::vector<Watermark> marks;
  for (int row = 0; row < result.rows(); ++row) {
    marks.push_back({std::string(result.text(row, 0)), std::string(result.text(row, 1)),
                     std::string(result.text(row, 2))});
  }
  return marks;
}

}  // namespace tapedeck::recording::watermarks
