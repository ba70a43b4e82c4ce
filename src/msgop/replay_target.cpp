// Session-database settings for applying the recording.
#include "msgop/replay_target.hpp"

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/pg/result.hpp"
#include "core/recorded_statement.hpp"

namespace tapedeck::msgop {

namespace {

// SQLSTATE insufficient_privilege: only a superuser, or a role granted SET on the parameter
// (PostgreSQL 15+), may set session_replication_role.
constexpr std::string_view kInsufficientPrivilege = "42501";

// Triggers that fire while session_replication_role is replica: 'A' (ENABLE ALWAYS) and 'R'
// (ENABLE REPLICA). Internal triggers (foreign keys) are left out: they are never 'A'.
constexpr const char* kFiringTriggers = R"(
SELECT format('%I.%I.%I', n.nspname, c.relname, t.tgname)
  FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE NOT t.tgisinternal AND t.tgenabled IN ('A', 'R')
 ORDER BY 1)";

// Every sequence a column owns (serial: dependency 'a'; identity: 'i'), moved to the column's
// largest value when that is beyond the sequence's position (is_called keeps nextval from
// returning that value again). Sequences that descend are moved to the smallest instead.
constexpr const char* kAdvanceOwnedSequences = R"(
DO $advance$
DECLARE
  owned record;
  edge numeric;
  seq_value int8;
  called boolean;
  moved int := 0;
BEGIN
  FOR owned IN
    SELECT d.objid::regclass AS seq, d.refobjid::regclass AS tbl, a.attname AS col,
           s.seqincrement > 0 AS ascending, s.seqmin AS lowest, s.seqmax AS highest
      FROM pg_depend d
      JOIN pg_sequence s ON s.seqrelid = d.objid
      JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
     WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass
       AND d.deptype IN ('a', 'i')
  LOOP
    EXECUTE format('SELECT %s(%I)::numeric FROM %s',
                   CASE WHEN owned.ascending THEN 'max' ELSE 'min' END, owned.col, owned.tbl)
      INTO edge;
    CONTINUE WHEN edge IS NULL OR edge < owned.lowest OR edge > owned.highest;
    EXECUTE format('SELECT last_value, is_called FROM %s', owned.seq) INTO seq_value, called;
    IF (owned.ascending AND edge > seq_value) OR (NOT owned.ascending AND edge < seq_value)
       OR (edge = seq_value AND NOT called) THEN
      PERFORM setval(owned.seq, edge::int8, true);
      moved := moved + 1;
    END IF;
  END LOOP;
  PERFORM set_config('tapedeck.sequences_moved', moved::text, false);
END
$advance$;
SELECT current_setting('tapedeck.sequences_moved')::int)";

}  // namespace

std::vector<std::string> prepare_replay_target(pg::Connection& target) {
  try {
    target.exec("SET session_replication_role = replica");
  } catch (const Error& error) {
    if (error.code() != kInsufficientPrivilege) throw;
    throw Error(ErrorSource::postgres, Recovery::fail,
                fmt::format("msgop: the playback user may not set session_replication_role, "
                            "which keeps the session database's triggers and foreign-key "
                            "actions from acting again on replayed changes ({}); connect as a "
                            "superuser or run 'GRANT SET ON PARAMETER session_replication_role "
                            "TO <playback user>' on the playback server",
                            error.message()),
                error.code());
  }
  target.exec("SET synchronous_commit = off");
  for (const std::string_view setting : recorded_statement::kReadSettings) {
    target.exec(fmt::format("SET {}", setting));
  }
  const auto firing = target.exec(kFiringTriggers);
  std::vector<std::string> names;
  names.reserve(static_cast<std::size_t>(firing.rows()));
  for (int row = 0; row < firing.rows(); ++row) {
    names.push_back(firing.get<std::string>(row, 0));
  }
  return names;
}

int advance_owned_sequences(pg::Connection& target) {
  return target.exec(kAdvanceOwnedSequences).get<int>(0, 0);
}

}  // namespace tapedeck::msgop
