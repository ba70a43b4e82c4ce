// The queries on tapedeck.watermarks.
#include "core/recording/watermarks_table.hpp"

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/pg/params.hpp"

namespace tapedeck::recording::watermarks {

namespace {

// Never at or past a held transaction: up to just before the oldest.
constexpr const char* kUpsertWatermark = R"(
INSERT INTO tapedeck.watermarks (name, lsn)
SELECT $1, LEAST($2::pg_lsn, (SELECT min(commit_lsn) - 1 FROM tapedeck.watermark_holds
                               WHERE name = $1))
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
// A position whose statement is stored (another transform copy stored it first) is not
// missing; a second pass over a held transaction keeps missing only what neither delivered.
constexpr const char* kHold = R"(
INSERT INTO tapedeck.watermark_holds (name, commit_lsn, missing)
SELECT $1, $2::pg_lsn,
       $3::int8multirange - coalesce(range_agg(int8range(position, position, '[]')), '{}')
  FROM tapedeck.statements WHERE commit_lsn = $2::pg_lsn
ON CONFLICT (name, commit_lsn) DO UPDATE
SET missing = tapedeck.watermark_holds.missing * EXCLUDED.missing)";
// $3 the position that arrived; $4 true for an END, which settles every position after it.
constexpr const char* kArrival = R"(
UPDATE tapedeck.watermark_holds
   SET missing = missing - int8multirange(CASE WHEN $4::bool THEN int8range($3::int8, NULL)
                                               ELSE int8range($3::int8, $3::int8, '[]') END)
 WHERE name = $1 AND commit_lsn = $2::pg_lsn)";
constexpr const char* kDropSettled = R"(
DELETE FROM tapedeck.watermark_holds
 WHERE name = $1 AND commit_lsn = $2::pg_lsn AND isempty(missing))";
constexpr const char* kHeld =
    "SELECT commit_lsn::text FROM tapedeck.watermark_holds WHERE name = $1 ORDER BY 1";
// A held transaction's commit time is that of its stored statements; with none stored it is
// unknown and counts whatever the window.
constexpr const char* kHeldInWindow = R"(
SELECT h.commit_lsn::text, h.missing::text, coalesce(s.commit_time::text, 'unknown')
  FROM tapedeck.watermark_holds h
  LEFT JOIN LATERAL (SELECT min(commit_time) AS commit_time FROM tapedeck.statements
                      WHERE commit_lsn = h.commit_lsn) s ON true
 WHERE ($1::timestamptz IS NULL OR s.commit_time IS NULL OR s.commit_time > $1::timestamptz)
   AND ($2::timestamptz IS NULL OR s.commit_time IS NULL OR s.commit_time <= $2::timestamptz)
 ORDER BY h.commit_lsn)";
constexpr const char* kListHolds = R"(
SELECT name, commit_lsn::text, missing::text, noticed_at::text
  FROM tapedeck.watermark_holds ORDER BY name, commit_lsn)";

// `what` names where the text was stored, for the error.
Lsn parse_lsn(std::string_view text, std::string_view what) {
  const auto lsn = Lsn::parse(text);
  if (!lsn) {
    throw Error(ErrorSource::postgres, Recovery::fail,
                fmt::format("{} is '{}', which is not an LSN", what, text));
  }
  return *lsn;
}

bool drop_settled(pg::Connection& store, std::string_view name, Lsn commit_lsn) {
  return store.exec_params(kDropSettled, pg::Params::of(std::string(name), commit_lsn.str()))
             .affected_rows() > 0;
}

}  // namespace

void advance(pg::Connection& store, std::string_view name, Lsn lsn) {
  store.exec_params(kUpsertWatermark, pg::Params::of(std::string(name), lsn.str()));
}

std::optional<Lsn> read(pg::Connection& store, std::string_view name) {
  const auto result = store.exec_params(kWatermarkQuery, pg::Params::of(std::string(name)));
  if (result.rows() == 0) return std::nullopt;
  return parse_lsn(result.text(0, 0), "the transform watermark");
}

std::optional<std::chrono::sys_time<std::chrono::microseconds>> recorded_until(
    pg::Connection& store, std::string_view name) {
  const auto result = store.exec_params(kRecordedUntil, pg::Params::of(std::string(name)));
  if (result.rows() == 0) return std::nullopt;
  return std::chrono::sys_time<std::chrono::microseconds>(
      std::chrono::microseconds(result.get<std::int64_t>(0, 0)));
}

bool hold(pg::Connection& store, std::string_view name, Lsn commit_lsn, std::string_view missing) {
  store.exec_params(kHold,
                    pg::Params::of(std::string(name), commit_lsn.str(), std::string(missing)));
  return !drop_settled(store, name, commit_lsn);
}

bool arrived(pg::Connection& store, std::string_view name, Lsn commit_lsn, std::uint64_t position,
             bool end) {
  const auto updated =
      store.exec_params(kArrival, pg::Params::of(std::string(name), commit_lsn.str(),
                                                 static_cast<std::int64_t>(position), end));
  return updated.affected_rows() > 0 && drop_settled(store, name, commit_lsn);
}

std::vector<Lsn> held(pg::Connection& store, std::string_view name) {
  const auto rows = store.exec_params(kHeld, pg::Params::of(std::string(name)));
  std::vector<Lsn> lsns;
  lsns.reserve(static_cast<std::size_t>(rows.rows()));
  for (int row = 0; row < rows.rows(); ++row)
    lsns.push_back(parse_lsn(rows.text(row, 0), "a held commit LSN in tapedeck.watermark_holds"));
  return lsns;
}

std::vector<std::string> held_in_window(pg::Connection& store,
                                        const std::optional<std::string>& since,
                                        const std::optional<std::string>& until) {
  const auto rows = store.exec_params(kHeldInWindow, pg::Params::of(since, until));
  std::vector<std::string> described;
  described.reserve(static_cast<std::size_t>(rows.rows()));
  for (int row = 0; row < rows.rows(); ++row) {
    described.push_back(fmt::format("commit {} at {}, message positions {} missing",
                                    rows.text(row, 0), rows.text(row, 2), rows.text(row, 1)));
  }
  return described;
}

std::vector<Hold> list_holds(pg::Connection& store) {
  const auto rows = store.exec(kListHolds);
  std::vector<Hold> holds;
  holds.reserve(static_cast<std::size_t>(rows.rows()));
  for (int row = 0; row < rows.rows(); ++row) {
    holds.push_back(Hold{rows.get<std::string>(row, 0), rows.get<std::string>(row, 1),
                         rows.get<std::string>(row, 2), rows.get<std::string>(row, 3)});
  }
  return holds;
}

bool table_exists(pg::Connection& store) {
  return store.exec(kTableExists).get<bool>(0, 0);
}

std::vector<Watermark> list(pg::Connection& store) {
  const auto result = store.exec(kList);
  std::vector<Watermark> marks;
  marks.reserve(static_cast<std::size_t>(result.rows()));
  for (int row = 0; row < result.rows(); ++row) {
    marks.push_back({std::string(result.text(row, 0)), std::string(result.text(row, 1)),
                     std::string(result.text(row, 2))});
  }
  return marks;
}

}  // namespace tapedeck::recording::watermarks
