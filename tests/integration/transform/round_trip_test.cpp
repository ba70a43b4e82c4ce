// Round-trip fidelity: a seeded random workload through the real capture and transform
// binaries; the exported statements applied to a copy taken before it give the same rows.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "core/pg/params.hpp"
#include "core/pg/transaction.hpp"
#include "core/txid_snapshot.hpp"
#include "msgop/catch_up.hpp"
#include "msgop/replay_target.hpp"
#include "transform_fixture.hpp"

namespace tapedeck::transform::testing {
namespace {

using namespace std::chrono_literals;
using Value = std::optional<std::string>;

constexpr const char* kSchema = R"sql(
CREATE EXTENSION IF NOT EXISTS hstore;
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy', 'it''s "complicated"');
CREATE TABLE typed (
  id bigint PRIMARY KEY,
  i2 smallint, i4 integer, i8 bigint, flag boolean,
  r4 real, f8 double precision,
  n numeric(14,4), nv numeric,
  t text, vc varchar(40), ch char(6),
  bin bytea, u uuid, j json, jb jsonb,
  d date, tod time, todz timetz, ts timestamp, tstz timestamptz, iv interval,
  ia integer[], ta text[], m mood, pt point, bits bit(8),
  -- varbit travels as its text: Debezium's Bits bytes would lose its length
  vb varbit, vb12 bit varying(12), hs hstore,
  -- no Debezium converter: PostgreSQL's text form, cast back
  gb box, gpath path, gpoly polygon, gc circle, gl line, gls lseg, lsn pg_lsn, q tsquery,
  big text
);
-- Out of line without compression: a big value stays TOASTed, so an UPDATE that leaves it
-- alone sends Debezium's unavailable-value placeholder for it.
ALTER TABLE typed ALTER COLUMN big SET STORAGE EXTERNAL;
-- Rows found by every column: text-form values in the WHERE clause too.
CREATE TYPE tag AS (label text, n integer);
CREATE TABLE dupes (a integer, b text, c numeric(8,2), t tag, spans int4multirange, shapes box[],
                    tz timetz);
ALTER TABLE dupes REPLICA IDENTITY FULL;
-- Values that "=" calls equal though their text differs: 1.5 and 1.50, 0 and -0.
CREATE TABLE loose (n numeric, f float8, i interval);
ALTER TABLE loose REPLICA IDENTITY FULL;
CREATE TABLE "Odd ""Name"" t" ("Key col" text PRIMARY KEY, "v$" integer, "select" text);
CREATE TABLE composite (k1 integer, k2 text, v jsonb, PRIMARY KEY (k1, k2));
-- A few rows updated over and over (pgbench's branches): catch-up leaves out the updates a later
-- one overwrites. The note stays TOASTed, so an update that leaves it alone does not set it.
CREATE TABLE hot (id integer PRIMARY KEY, n bigint NOT NULL, note text);
ALTER TABLE hot ALTER COLUMN note SET STORAGE EXTERNAL;
-- Names NATS subjects cannot hold as they are: dots (empty tokens too), wildcards, spaces,
-- non-ASCII, and a name of the full 63 bytes.
CREATE SCHEMA ".Sch..ema*";
CREATE TABLE ".Sch..ema*"."ta.ble> 表 ünï." ("k€y" integer PRIMARY KEY, "va.l ue" text);
CREATE TABLE "a23456789_123456789_123456789_123456789_123456789_123456789_123" (k integer PRIMARY KEY);
-- Generated columns: pgoutput leaves them out; the copy computes them again.
CREATE TABLE gen (id integer PRIMARY KEY, a integer, doubled integer GENERATED ALWAYS AS (a * 2) STORED,
                  label text GENERATED ALWAYS AS ('#' || id || ':' || coalesce(a::text, 'none')) STORED);
CREATE TABLE gen_full (a integer, b text, g text GENERATED ALWAYS AS (upper(b)) STORED);
ALTER TABLE gen_full REPLICA IDENTITY FULL;
-- A partitioned table: pgoutput names the leaf partition of each change, and an UPDATE that
-- moves a row to another partition arrives as a delete and an insert.
CREATE TABLE parted (id integer, at date, v text, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
CREATE TABLE parted_2024 PARTITION OF parted FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE parted_rest PARTITION OF parted DEFAULT;
CREATE TABLE parted_hashed (id integer PRIMARY KEY, v text) PARTITION BY HASH (id);
CREATE TABLE parted_hashed_0 PARTITION OF parted_hashed FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE parted_hashed_1 PARTITION OF parted_hashed FOR VALUES WITH (MODULUS 2, REMAINDER 1);
-- Composite types (nested, with arrays and ranges inside), a range and multirange of a user
-- subtype, domains over composites and arrays, and an array of every type that has one.
CREATE TYPE pair AS (label text, at point);
CREATE TYPE rec AS (id integer, note text, inner_pair pair, tags text[], amount numeric,
                    during int4range);
CREATE TYPE floatrange AS RANGE (subtype = float8);
CREATE DOMAIN positive_rec AS rec CHECK ((VALUE).id IS NULL OR (VALUE).id > 0);
CREATE DOMAIN rec_list AS rec[];
CREATE DOMAIN box_list AS box[];
CREATE TABLE every_type (
  id integer PRIMARY KEY,
  r rec, rs rec[], dr positive_rec, drs positive_rec[], drl rec_list,
  mr int4multirange, mrs int4multirange[], nmr nummultirange, dmr datemultirange,
  tsmr tstzmultirange, fr floatrange, frs floatrange[], fmr floatmultirange,
  nr numrange, nrs numrange[],
  monies money[], names name[], ivs interval[], vbs varbit[], xmls xml[], pts point[],
  boxes box[], paths path[], polys polygon[], circles circle[], lines line[], lsegs lseg[],
  lsns pg_lsn[], qs tsquery[], tz timetz, tzs timetz[],
  nums numeric[], f8s double precision[], r4s real[], ints integer[], texts text[],
  dboxes box_list, hss hstore[], vb varbit,
  -- base types without a Debezium converter
  jp jsonpath, jps jsonpath[], x8 xid8
);
)sql";

// A function-local static: built on first use, not before main.
const std::vector<std::string>& tables() {
  static const std::vector<std::string> names = {
      "typed",
      "dupes",
      "loose",
      "\"Odd \"\"Name\"\" t\"",
      "composite",
      "hot",
      "every_type",
      "\".Sch..ema*\".\"ta.ble> 表 ünï.\"",
      "a23456789_123456789_123456789_123456789_123456789_123456789_123",
      "gen",
      "gen_full",
      "parted",
      "parted_hashed"};
  return names;
}

const std::vector<std::string>& every_type_columns() {
  static const std::vector<std::string> names = {
      "r",      "rs",   "dr",  "drs",   "drl",   "mr",    "mrs",     "nmr",   "dmr",
      "tsmr",   "fr",   "frs", "fmr",   "nr",    "nrs",   "monies",  "names", "ivs",
      "vbs",    "xmls", "pts", "boxes", "paths", "polys", "circles", "lines", "lsegs",
      "lsns",   "qs",   "tz",  "tzs",   "nums",  "f8s",   "r4s",     "ints",  "texts",
      "dboxes", "hss",  "vb",  "jp",    "jps",   "x8"};
  return names;
}

// Hostile values of every_type, written while capture streams: quotes, backslashes, commas,
// braces and parentheses, NULL elements and fields, empty and multidimensional arrays,
// explicit bounds, unicode, NaN and infinities, empty and unbounded ranges.
constexpr const char* kEveryTypeChanges = R"sql(
INSERT INTO every_type VALUES (1,
  ROW(1, E'it''s "q" \\ back, {brace} (paren)', ROW('naïve 日本 😀', '(1.5,-2)'),
      ARRAY['a,b', NULL, '"', E'\\', '{}', 'NULL', ''], 'NaN', '[1,5)'),
  ARRAY[ROW(2, NULL, ROW(NULL, NULL), NULL, '-Infinity', 'empty')::rec, NULL,
        ROW(NULL, '', NULL, '{}', 1.50, '(,)')::rec],
  ROW(3, E'dom\\ain "x"', ROW(')(', NULL), ARRAY[NULL]::text[], 0, NULL),
  ARRAY[ROW(4, ',', NULL, NULL, NULL, NULL)::positive_rec, NULL],
  ARRAY[[ROW(5, 'a', NULL, NULL, NULL, NULL)::rec, NULL], [NULL, ROW(6, '}', NULL, NULL, NULL, NULL)::rec]],
  '{[1,3), [5,8), [10,)}', ARRAY['{}'::int4multirange, NULL, '{[1,2)}'],
  '{[-Infinity,0), (1.5,NaN]}', '{[-infinity,2020-01-01), [2024-02-29,infinity)}',
  '{["2024-01-01 00:00:00+05",)}', '[-Infinity,NaN]',
  ARRAY['empty'::floatrange, '(,)', '[1e-300,1e300)', NULL], '{[-Infinity,0), [1,NaN]}',
  'empty', ARRAY['(,)'::numrange, '[1.50,2.500]', NULL, 'empty'],
  ARRAY['$1,000.50'::money, NULL, '-0.01', '92233720368547758.07'],
  ARRAY['a,b', NULL, 'with "quote"', E'back\\slash', '', 'NULL']::name[],
  ARRAY['1 year 2 mons -3 days 04:05:06.789'::interval, NULL, '-178000000 years', '0'],
  ARRAY[B'', B'0001', NULL, B'1']::varbit[],
  ARRAY['<a b="it''s">x, {y}</a>'::xml, NULL, 'plain text, with "comma"'],
  ARRAY[point '(1.5,-0)', NULL, '(NaN,Infinity)'],
  ARRAY[box '(1,1),(0,0)', NULL, '(-1e300,2),(3,4)'],
  ARRAY[path '[(0,0),(1,1)]', '((0,0),(1,1),(2,0))', NULL],
  ARRAY[polygon '((0,0),(1,1),(2,0))', NULL], ARRAY[circle '<(0,0),1.5>', NULL],
  ARRAY[line '{1,-1,0}', NULL], ARRAY[lseg '[(0,0),(1,1)]', NULL],
  ARRAY['0/0'::pg_lsn, 'FFFFFFFF/FFFFFFFF', NULL],
  ARRAY[tsquery $$'it''s' & !'x':*$$, $$'a,b' <-> '{c}'$$, NULL],
  '12:00:00+05', ARRAY['12:00:00+05'::timetz, NULL, '23:59:59.999999-14:59'],
  ARRAY['NaN'::numeric, 'Infinity', '-Infinity', NULL, '1.500', '-0.0001'],
  ARRAY['NaN'::float8, 'Infinity', '-Infinity', '-0', NULL, '1e-308'],
  ARRAY['NaN'::real, '-Infinity', '3.4e38'],
  ARRAY[[1, 2], [NULL, 4]], ARRAY[['a,b', '{c}'], ['"d"', NULL]],
  ARRAY[box '(1,1),(0,0)', NULL]::box_list,
  ARRAY['"a"=>"1", "b,c"=>NULL'::hstore, NULL, ''], B'0001',
  $$$."a b"[*] ? (@ > 1 && @.x like_regex "^it's\\d" flag "i")$$,
  ARRAY['$.a'::jsonpath, NULL, 'strict $[last]'], '18446744073709551615');
INSERT INTO every_type (id) VALUES (2);
INSERT INTO every_type VALUES (3,
  ROW(NULL, NULL, NULL, NULL, NULL, NULL), '{}', ROW(NULL, NULL, NULL, NULL, NULL, NULL), '{}',
  '{}', '{}', '{}', '{}', '{}', '{}', 'empty', '{}', '{}', 'empty', '{}',
  '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}',
  '00:00:00-00:01', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', B'', '$', '{}', '0');
INSERT INTO every_type (id, rs, mrs, frs, nrs, monies, names, ivs, vbs, xmls, pts, boxes, lsns,
                        qs, tzs, nums, ints, texts, dboxes) VALUES (4,
  '[2:2]={"(7,x,,,,)"}', '[0:1]={"{}","{[1,2)}"}', '{{"[1,2)",NULL},{empty,"(,)"}}',
  '{{"[1,2)"},{NULL}}', '{{1.00,NULL},{2,3}}', '{{a,"b c"},{NULL,"}"}}',
  '[-1:0]={"1 day",NULL}', '{{1,0},{"",NULL}}', '{{"<x/>",NULL}}', '{{"(1,2)","(3,4)"},{NULL,"(5,6)"}}',
  '[0:1]={(1,1),(0,0);(2,2),(1,1)}', '{{0/1,NULL}}', E'{{"\'a\'",NULL}}', '{{"01:02:03+04:05"}}',
  '{{NaN,1},{NULL,-Infinity}}', '[0:1][1:2][5:5]={{{1},{2}},{{3},{NULL}}}', '{{"\\\\",""},{NULL,"NULL"}}',
  '[1:1]={"(0,0),(0,0)"}');
UPDATE every_type SET r = ROW(8, 'changed, "again"', ROW('x', NULL), NULL, 'Infinity', 'empty'),
  boxes = '{}', tz = '24:00:00+15:59', monies = NULL WHERE id = 1;
UPDATE every_type SET drl = ARRAY[ROW(9, NULL, NULL, NULL, NULL, NULL)::rec] WHERE id = 3;
DELETE FROM every_type WHERE id = 2;
INSERT INTO every_type (id, r, tz) VALUES (5, ROW(10, E'\t\n', NULL, NULL, NULL, NULL), '00:00:00+00');
-- In a keyless table a NULL composite and one whose fields are all null are different rows,
-- though "t IS NULL" holds for both; the one stored first must stay.
INSERT INTO dupes (a, t) VALUES (9, '(,)'), (9, NULL);
DELETE FROM dupes WHERE a = 9 AND t IS NOT DISTINCT FROM NULL;
INSERT INTO loose VALUES (1.50, -0, '1 day'), (1.5, 0, '24 hours');
UPDATE loose SET n = 2 WHERE n::text = '1.5';
DELETE FROM loose WHERE n = 2;
)sql";

const std::vector<std::string>& typed_columns() {
  static const std::vector<std::string> names = {
      "i2", "i4",   "i8", "flag", "r4",    "f8",    "n",    "nv", "t",   "vc",  "ch", "bin", "u",
      "j",  "jb",   "d",  "tod",  "todz",  "ts",    "tstz", "iv", "ia",  "ta",  "m",  "pt",  "bits",
      "vb", "vb12", "hs", "gb",   "gpath", "gpoly", "gc",   "gl", "gls", "lsn", "q",  "big"};
  return names;
}

// Random values of every column type, drawn from one seeded engine.
class Values {
 public:
  explicit Values(std::uint32_t seed) : random_(seed) {}

  int uniform(int low, int high) { return std::uniform_int_distribution<int>(low, high)(random_); }
  bool chance(double p) { return std::bernoulli_distribution(p)(random_); }
  template <typename T>
  const T& pick(const std::vector<T>& items) {
    return items[static_cast<std::size_t>(uniform(0, static_cast<int>(items.size()) - 1))];
  }

  std::string hostile_text() {
    static const std::vector<std::string> kPieces = {
        "plain", "it's", "''",   "\\",         "\\\\x", "$$",    "$tag$",  "E'\\n'",
        "\n",    "\t",   "\r\n", "\"quoted\"", "😀",     "naïve", "日本語", ";DROP TABLE typed;--",
        "{a,b}", "NULL", " ",    "%s",         "\x01",  "\x7f",  "\u00a0"};
    std::string out;
    const int pieces = uniform(0, 6);
    for (int i = 0; i < pieces; ++i) out += pick(kPieces);
    return out;
  }

  std::string alnum(int length) {
    static constexpr char kChars[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    std::string out;
    out.reserve(static_cast<std::size_t>(length));
    for (int i = 0; i < length; ++i) out.push_back(kChars[uniform(0, 61)]);
    return out;
  }

  std::string digits(int count) {
    std::string out;
    for (int i = 0; i < count; ++i) out.push_back(static_cast<char>('0' + uniform(0, 9)));
    return out;
  }

  Value column(const std::string& name) {
    if (name != "big" && chance(0.08)) return std::nullopt;
    if (name == "i2")
      return std::to_string(chance(0.1) ? (chance(0.5) ? -32768 : 32767) : uniform(-32768, 32767));
    if (name == "i4")
      return std::to_string(chance(0.1) ? -2147483647 - 1 : uniform(-1 << 30, 1 << 30));
    if (name == "i8") {
      if (chance(0.1)) return chance(0.5) ? "9223372036854775807" : "-9223372036854775808";
      return std::to_string(std::uniform_int_distribution<std::int64_t>()(random_));
    }
    if (name == "flag") return chance(0.5) ? "true" : "false";
    if (name == "r4" || name == "f8") {
      if (chance(0.05)) return pick(std::vector<std::string>{"NaN", "Infinity", "-Infinity", "-0"});
      const double magnitude = std::pow(10.0, uniform(-30, 30));
      const double value = std::uniform_real_distribution<double>(-1, 1)(random_) * magnitude;
      return name == "r4" ? fmt::format("{:.9g}", static_cast<float>(value))
                          : fmt::format("{:.17g}", value);
    }
    // NaN in any numeric, ±Infinity where there is no precision (PostgreSQL 14+ refuses it
    // in numeric(p,s)): Debezium's precise mode records them as NULL, tapedeck's default keeps
    // them.
    if (name == "n" && chance(0.05)) return "NaN";
    if (name == "nv" && chance(0.08)) {
      return pick(std::vector<std::string>{"NaN", "Infinity", "-Infinity"});
    }
    if (name == "n") {
      return fmt::format("{}{}.{}", chance(0.5) ? "-" : "", digits(uniform(1, 10)), digits(4));
    }
    if (name == "nv") {
      switch (uniform(0, 4)) {
        case 0:
          return fmt::format("{}.{}", digits(uniform(1, 25)), digits(uniform(0, 25)));
        case 4:  // trailing zeros: the scale must survive (5.60 is not 5.6 to a reader)
          return fmt::format("{}.{}00", digits(uniform(1, 5)), digits(uniform(0, 3)));
        case 1:
          return fmt::format("-0.{}", digits(uniform(1, 40)));
        case 2:
          return fmt::format("{}e{}", digits(uniform(1, 5)), uniform(0, 40));
        default:
          return std::to_string(uniform(-1000, 1000));
      }
    }
    if (name == "t") return hostile_text();
    if (name == "vc") {
      std::string text = hostile_text();
      std::size_t cut = std::min<std::size_t>(text.size(), 10);
      // Never cut a UTF-8 sequence: back off over continuation bytes.
      while (cut < text.size() && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
      return text.substr(0, cut);
    }
    if (name == "ch") return alnum(uniform(0, 6));
    if (name == "bin") {
      std::string out = "\\x";
      const int length = uniform(0, 40);
      for (int i = 0; i < length; ++i) out += fmt::format("{:02x}", uniform(0, 255));
      return out;
    }
    if (name == "u") {
      return fmt::format("{}-{}-4{}-a{}-{}", alnum_hex(8), alnum_hex(4), alnum_hex(3), alnum_hex(3),
                         alnum_hex(12));
    }
    if (name == "j") {
      return fmt::format(R"({{"a" : [1, 2.50, "x\"y"], "n": null,  "t":"{}"}})",
                         alnum(uniform(0, 8)));
    }
    if (name == "jb") {
      return fmt::format(R"({{"k": {}, "s": "it's \\ {}", "arr": [true, 1e3, 0.10]}})",
                         uniform(-5, 5), alnum(3));
    }
    if ((name == "d" || name == "ts" || name == "tstz") && chance(0.05)) {
      return chance(0.5) ? "infinity" : "-infinity";
    }
    if (name == "d") {
      return fmt::format("{:04}-{:02}-{:02}", uniform(1, 9999), uniform(1, 12), uniform(1, 28));
    }
    if (name == "tod") return time_of_day();
    if (name == "todz") {
      return time_of_day() + pick(std::vector<std::string>{"+00", "-05", "+05:30", "+14"});
    }
    if (name == "ts") {
      return fmt::format("{:04}-{:02}-{:02} {}", uniform(1, 9999), uniform(1, 12), uniform(1, 28),
                         time_of_day());
    }
    if (name == "tstz") {
      return fmt::format("{:04}-{:02}-{:02} {}+{:02}", uniform(1800, 2200), uniform(1, 12),
                         uniform(1, 28), time_of_day(), uniform(0, 12));
    }
    if (name == "iv") {
      return fmt::format("{} years {} mons {} days {:02}:{:02}:{:02}.{}", uniform(-100, 100),
                         uniform(-11, 11), uniform(-40, 40), uniform(0, 99), uniform(0, 59),
                         uniform(0, 59), digits(6));
    }
    if (name == "ia") {
      std::string out = "{";
      const int count = uniform(0, 5);
      for (int i = 0; i < count; ++i) {
        if (i) out += ",";
        out += chance(0.15) ? "NULL" : std::to_string(uniform(-100000, 100000));
      }
      return out + "}";
    }
    if (name == "ta") {
      std::string out = "{";
      const int count = uniform(0, 4);
      for (int i = 0; i < count; ++i) {
        if (i) out += ",";
        if (chance(0.15)) {
          out += "NULL";
        } else {
          std::string element = hostile_text();
          std::string quoted = "\"";
          for (const char c : element) {
            if (c == '"' || c == '\\') quoted.push_back('\\');
            quoted.push_back(c);
          }
          out += quoted + "\"";
        }
      }
      return out + "}";
    }
    if (name == "m")
      return pick(std::vector<std::string>{"sad", "ok", "happy", "it's \"complicated\""});
    if (name == "pt")
      return fmt::format("({}.{},-{}.25)", uniform(-999, 999), digits(2), uniform(0, 99));
    if (name == "bits") return bits(8);
    if (name == "vb") return bits(uniform(0, 70));  // leading zeros and the empty string too
    if (name == "vb12") return bits(uniform(0, 12));
    if (name == "gb" || name == "gpath" || name == "gpoly" || name == "gc" || name == "gl" ||
        name == "gls") {
      auto coordinate = [&] {
        return fmt::format("{}{}.{}e{}", chance(0.5) ? "-" : "", uniform(0, 999), digits(3),
                           uniform(-20, 20));
      };
      auto points = [&](int count) {
        std::string out;
        for (int i = 0; i < count; ++i) {
          out += fmt::format("{}({},{})", i ? "," : "", coordinate(), coordinate());
        }
        return out;
      };
      if (name == "gb" || name == "gls") return "(" + points(2) + ")";
      if (name == "gpath") {  // open [..] or closed (..)
        return chance(0.5) ? "[" + points(uniform(1, 5)) + "]" : "(" + points(uniform(1, 5)) + ")";
      }
      if (name == "gpoly") return "(" + points(uniform(1, 5)) + ")";
      if (name == "gc")
        return fmt::format("<({},{}),{}>", coordinate(), coordinate(), uniform(0, 99));
      return fmt::format("{{{},{},{}}}", uniform(1, 9), uniform(-9, 9), coordinate());  // line
    }
    if (name == "lsn") return fmt::format("{:X}/{:X}", uniform(0, 0xFFFF), uniform(0, 1 << 30));
    if (name == "q") {
      return pick(std::vector<std::string>{"'it''s' & !'x':*", "'a' <-> ('b' | 'c':AB)",
                                           "'ünï' <2> 'κόσμε'", "'\\back' & '\"q\"'"});
    }
    if (name == "hs") {
      // hstore's own quoting: '"' and '\' escaped; NULL values, "NULL" as a word, empty.
      auto quoted = [](const std::string& text) {
        std::string out = "\"";
        for (const char c : text) {
          if (c == '"' || c == '\\') out.push_back('\\');
          out.push_back(c);
        }
        return out + "\"";
      };
      std::string out;
      const int pairs = uniform(0, 4);
      for (int i = 0; i < pairs; ++i) {
        if (i) out += ", ";
        out += quoted(fmt::format("{}{}=>,", i, hostile_text()));
        out += "=>";
        out += chance(0.2) ? "NULL" : quoted(chance(0.1) ? "NULL" : hostile_text());
      }
      return out;
    }
    if (name == "big") return alnum(uniform(3000, 9000));
    ADD_FAILURE() << "no generator for " << name;
    return std::nullopt;
  }

 private:
  std::string alnum_hex(int length) {
    std::string out;
    for (int i = 0; i < length; ++i) out.push_back("0123456789abcdef"[uniform(0, 15)]);
    return out;
  }
  std::string time_of_day() {
    return fmt::format("{:02}:{:02}:{:02}.{}", uniform(0, 23), uniform(0, 59), uniform(0, 59),
                       digits(uniform(0, 6)));
  }
  std::string bits(int count) {
    std::string out;
    for (int i = 0; i < count; ++i) out.push_back(chance(0.5) ? '1' : '0');
    return out;
  }

  std::mt19937 random_;
};

// The random workload: one call of step() is one transaction of 1..5 changes.
class Workload {
 public:
  Workload(pg::Connection& live, std::uint32_t seed) : live_(&live), values_(seed) {}
  // Continue on another connection (the first one closed so the database could be copied).
  void use(pg::Connection& live) { live_ = &live; }

  void insert_typed() {
    std::string columns = "id";
    std::string placeholders = "$1";
    pg::Params params;
    params.add(next_id_);
    ids_.push_back(next_id_++);
    int index = 2;
    for (const auto& column : typed_columns()) {
      columns += ", " + column;
      placeholders += fmt::format(", ${}", index++);
      params.add(values_.column(column));
    }
    live_->exec_params(fmt::format("INSERT INTO typed ({}) VALUES ({})", columns, placeholders),
                       params);
  }

  void step() {
    pg::Transaction transaction(*live_);
    const int changes = values_.uniform(1, 5);
    for (int i = 0; i < changes; ++i) change();
    if (values_.chance(0.5)) change_hot();
    // Subtransactions: what a rolled-back savepoint did never happened; a released one's
    // changes commit with the transaction.
    if (values_.uniform(0, 7) == 0) {
      live_->exec("SAVEPOINT undone");
      change();
      live_->exec("ROLLBACK TO SAVEPOINT undone");
      live_->exec("SAVEPOINT kept");
      change();
      live_->exec("RELEASE SAVEPOINT kept");
    }
    transaction.commit();
  }

  // The last transaction: one insert; returns its xid.
  std::uint64_t last() {
    pg::Transaction transaction(*live_);
    insert_typed();
    const auto xid =
        static_cast<std::uint64_t>(query_int(*live_, "SELECT pg_current_xact_id()::text::bigint"));
    transaction.commit();
    return xid;
  }

  void seed_rows() {
    for (int i = 0; i < 30; ++i) insert_typed();
    for (int i = 0; i < 10; ++i) insert_dupe();
    for (int i = 0; i < 10; ++i) insert_odd();
    for (int i = 0; i < 10; ++i) insert_composite();
    for (int i = 0; i < 10; ++i) change_odd_tables();
    live_->exec("INSERT INTO hot SELECT id, 0, repeat('n', 3000) FROM generate_series(0, 2) id");
  }

 private:
  void change() {
    // One change in twenty: the odd names, generated columns and partitions.
    if (values_.uniform(0, 19) == 0) return change_odd_tables();
    const int kind = values_.uniform(0, 99);
    if (kind < 18) return insert_typed();
    if (kind < 33) return update_typed(false);
    if (kind < 40) return update_typed(true);
    if (kind < 45) return rekey_typed();
    if (kind < 52) return delete_typed();
    if (kind < 62) return insert_dupe();
    if (kind < 70) return update_one_dupe();
    if (kind < 76) return delete_one_dupe();
    if (kind < 82) return insert_odd();
    if (kind < 87) return update_odd();
    if (kind < 90) return delete_odd();
    if (kind < 95) return insert_composite();
    if (kind < 98) return update_composite();
    if (kind < 99) return delete_composite();
    live_->exec("TRUNCATE composite");
  }

  // Changes to the tables with odd names, generated columns and partitions.
  void change_odd_tables() {
    live_->exec_params(
        "INSERT INTO \".Sch..ema*\".\"ta.ble> 表 ünï.\" VALUES ($1, $2) ON CONFLICT (\"k€y\") DO "
        "UPDATE SET \"va.l ue\" = excluded.\"va.l ue\"",
        pg::Params::of(values_.uniform(0, 20), values_.column("t")));
    live_->exec_params(
        "INSERT INTO a23456789_123456789_123456789_123456789_123456789_123456789_123 VALUES ($1) "
        "ON CONFLICT DO NOTHING",
        pg::Params::of(values_.uniform(0, 20)));
    live_->exec_params(
        "INSERT INTO gen (id, a) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET a = excluded.a",
        pg::Params::of(values_.uniform(0, 20), values_.uniform(-5, 5)));
    live_->exec_params("UPDATE gen SET a = NULL WHERE id = $1",
                       pg::Params::of(values_.uniform(0, 20)));
    live_->exec_params("INSERT INTO gen_full (a, b) VALUES ($1, $2)",
                       pg::Params::of(values_.uniform(0, 3), values_.column("t")));
    live_->exec_params(
        "UPDATE gen_full SET a = a + 10 WHERE ctid = (SELECT ctid FROM gen_full "
        "WHERE a = $1 LIMIT 1)",
        pg::Params::of(values_.uniform(0, 3)));
    live_->exec_params(
        "DELETE FROM gen_full WHERE ctid = (SELECT ctid FROM gen_full WHERE a = $1 "
        "LIMIT 1)",
        pg::Params::of(values_.uniform(10, 13)));
    live_->exec_params(
        "INSERT INTO parted VALUES ($1, DATE '2024-06-01' + $2::int, $3) ON CONFLICT DO NOTHING",
        pg::Params::of(values_.uniform(0, 20), values_.uniform(0, 400), values_.column("t")));
    // May move the row to the other partition. One row, to a key no row has: the key is
    // checked row by row, so shifting several rows of one id could meet one not yet moved.
    live_->exec_params(
        "UPDATE parted SET at = at + $2::int, v = v || 'x' "
        "WHERE (id, at) = (SELECT id, at FROM parted WHERE id = $1 ORDER BY at LIMIT 1) "
        "AND NOT EXISTS (SELECT FROM parted p WHERE p.id = $1 AND p.at = parted.at + $2::int)",
        pg::Params::of(values_.uniform(0, 20), values_.uniform(-200, 200)));
    live_->exec_params("DELETE FROM parted WHERE id = $1", pg::Params::of(values_.uniform(0, 40)));
    live_->exec_params(
        "INSERT INTO parted_hashed VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET v = excluded.v",
        pg::Params::of(values_.uniform(0, 20), values_.column("t")));
    if (values_.uniform(0, 30) == 0) live_->exec("TRUNCATE parted_hashed_1");
  }

  std::optional<std::int64_t> some_id() {
    if (ids_.empty()) return std::nullopt;
    return values_.pick(ids_);
  }

  // Changes a few columns; `with_big` decides whether the TOASTed column changes too (when
  // not, Debezium sends the unavailable-value placeholder for it).
  void update_typed(bool with_big) {
    const auto id = some_id();
    if (!id) return insert_typed();
    std::string set;
    pg::Params params;
    int index = 1;
    const int count = values_.uniform(1, 4);
    for (int i = 0; i < count; ++i) {
      std::string column = values_.pick(typed_columns());
      if (column == "big") continue;
      if (set.find(column + " =") != std::string::npos) continue;
      set += fmt::format("{}{} = ${}", set.empty() ? "" : ", ", column, index++);
      params.add(values_.column(column));
    }
    if (with_big || set.empty()) {
      set += fmt::format("{}big = ${}", set.empty() ? "" : ", ", index++);
      params.add(values_.column("big"));
    }
    params.add(*id);
    live_->exec_params(fmt::format("UPDATE typed SET {} WHERE id = ${}", set, index), params);
  }

  void rekey_typed() {
    const auto id = some_id();
    if (!id) return insert_typed();
    const std::int64_t new_id = next_id_++;
    live_->exec_params("UPDATE typed SET id = $1, i4 = i4 + 1 WHERE id = $2",
                       pg::Params::of(new_id, *id));
    std::replace(ids_.begin(), ids_.end(), *id, new_id);
  }

  void delete_typed() {
    const auto id = some_id();
    if (!id) return;
    live_->exec_params("DELETE FROM typed WHERE id = $1", pg::Params::of(*id));
    ids_.erase(std::find(ids_.begin(), ids_.end(), *id));
  }

  // Few distinct values, so identical rows are common.
  void insert_dupe() {
    live_->exec_params(
        "INSERT INTO dupes VALUES ($1, $2, $3, $4, $5, $6, $7)",
        pg::Params::of(values_.uniform(0, 3),
                       values_.pick(std::vector<std::string>{"x", "it's", "\\"}),
                       values_.chance(0.2) ? Value() : Value("1.50"),
                       values_.pick(std::vector<Value>{std::nullopt, "(,)", "(\"a,\"\"b\"\"\",1)"}),
                       values_.pick(std::vector<Value>{std::nullopt, "{}", "{[1,3),[7,)}"}),
                       values_.pick(std::vector<Value>{std::nullopt, "{}", "{(1,1),(0,0);NULL}"}),
                       values_.pick(std::vector<Value>{std::nullopt, "12:00+05", "07:00+00"})));
  }

  void update_one_dupe() {
    live_->exec_params(
        "UPDATE dupes SET a = a + 1 WHERE ctid = (SELECT ctid FROM dupes WHERE a = $1 LIMIT 1)",
        pg::Params::of(values_.uniform(0, 3)));
  }

  void delete_one_dupe() {
    live_->exec_params(
        "DELETE FROM dupes WHERE ctid = (SELECT ctid FROM dupes WHERE a = $1 LIMIT 1)",
        pg::Params::of(values_.uniform(0, 4)));
  }

  void insert_odd() {
    live_->exec_params(
        "INSERT INTO \"Odd \"\"Name\"\" t\" VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        pg::Params::of(fmt::format("k{} {}", values_.uniform(0, 60), values_.hostile_text()),
                       values_.uniform(-9, 9), values_.column("t")));
  }

  void update_odd() {
    live_->exec_params(
        "UPDATE \"Odd \"\"Name\"\" t\" SET \"v$\" = \"v$\" + 1, \"select\" = $1 WHERE \"Key col\" "
        "= (SELECT min(\"Key col\") FROM \"Odd \"\"Name\"\" t\" WHERE \"Key col\" > $2)",
        pg::Params::of(values_.column("t"), fmt::format("k{}", values_.uniform(0, 60))));
  }

  void delete_odd() {
    live_->exec_params(
        "DELETE FROM \"Odd \"\"Name\"\" t\" WHERE \"Key col\" = (SELECT min(\"Key col\") FROM "
        "\"Odd \"\"Name\"\" t\" WHERE \"Key col\" > $1)",
        pg::Params::of(fmt::format("k{}", values_.uniform(0, 60))));
  }

  void insert_composite() {
    live_->exec_params(
        "INSERT INTO composite VALUES ($1, $2, $3) ON CONFLICT (k1, k2) DO UPDATE SET v = "
        "EXCLUDED.v",
        pg::Params::of(values_.uniform(0, 20),
                       values_.pick(std::vector<std::string>{"a", "b b", "c'"}),
                       values_.column("jb")));
  }

  // Mostly the counter alone (the note left TOASTed and unset), now and then the note too.
  void change_hot() {
    if (values_.chance(0.2)) {
      live_->exec_params(
          "UPDATE hot SET n = n + 1, note = repeat($2, 3000) WHERE id = $1",
          pg::Params::of(values_.uniform(0, 2), values_.pick(std::vector<std::string>{"a", "b"})));
      return;
    }
    live_->exec_params("UPDATE hot SET n = n + 1 WHERE id = $1",
                       pg::Params::of(values_.uniform(0, 2)));
  }

  void update_composite() {
    live_->exec_params("UPDATE composite SET v = $1 WHERE k1 = $2",
                       pg::Params::of(values_.column("jb"), values_.uniform(0, 20)));
  }

  void delete_composite() {
    live_->exec_params("DELETE FROM composite WHERE k1 = $1",
                       pg::Params::of(values_.uniform(0, 20)));
  }

  pg::Connection* live_;
  Values values_;
  std::vector<std::int64_t> ids_;
  std::int64_t next_id_ = 1;
};

// count and an order-independent digest of every row's text. The alias is one no table has
// as a column: `typed` has a column t, and `t::text` would then be that column, not the row.
std::string table_digest(pg::Connection& connection, const std::string& table) {
  return query_text(
      connection,
      fmt::format("SELECT count(*) || ':' || coalesce(md5(string_agg(whole_row::text, '|' "
                  "ORDER BY whole_row::text)), '') FROM {} whole_row",
                  table));
}

// The rows (as text) that one side has more often than the other, for a failure message.
std::string row_differences(pg::Connection& copy, pg::Connection& live, const std::string& table) {
  const auto rows = [&](pg::Connection& connection) {
    std::map<std::string, int> counted;
    const std::string all =
        query_text(connection, fmt::format("SELECT string_agg(whole_row::text, E'\\n' ORDER BY "
                                           "whole_row::text) FROM {} whole_row",
                                           table));
    std::size_t at = 0;
    while (at < all.size()) {
      const std::size_t end = std::min(all.find('\n', at), all.size());
      ++counted[all.substr(at, end - at)];
      at = end + 1;
    }
    return counted;
  };
  const auto in_copy = rows(copy);
  const auto in_live = rows(live);
  std::string out;
  for (const auto& [row, count] : in_live) {
    const auto other = in_copy.find(row);
    const int copies = other == in_copy.end() ? 0 : other->second;
    if (copies != count) out += fmt::format("  live {} x, copy {} x: {}\n", count, copies, row);
  }
  for (const auto& [row, count] : in_copy) {
    if (!in_live.contains(row)) out += fmt::format("  live 0 x, copy {} x: {}\n", count, row);
  }
  return out;
}

std::uint32_t workload_seed() {
  if (const char* text = std::getenv("TAPEDECK_TEST_SEED")) {
    return static_cast<std::uint32_t>(std::stoul(text));
  }
  return std::random_device{}();
}

TEST(TransformRoundTrip, StatementsAppliedToACopyReproduceTheLiveDatabaseExactly) {
  const std::uint32_t seed = workload_seed();
  std::printf("workload seed %u (rerun with TAPEDECK_TEST_SEED=%u)\n", seed, seed);
  SCOPED_TRACE(fmt::format("workload seed {}", seed));

  ScratchDatabase live("tdtr_live");
  ScratchDatabase store("tdtr_store");
  StreamFixture stream;
  auto env = stream.env(live.dsn(), store.dsn());
  std::optional<Workload> workload;
  {
    pg::Connection seeding(live.dsn());
    seeding.exec(kSchema);
    workload.emplace(seeding, seed);
    workload->seed_rows();
  }
  ScratchDatabase copy("tdtr_copy", live.name());
  // A second copy for msgop's catch-up, which applies the same recording its own way.
  ScratchDatabase caught_up("tdtr_caught_up", live.name());
  // Money written in three locales: the workload's session in C, the Live DB's walsender in
  // de_DE ("1.000,50 €"), both copies in ja_JP (no fraction digits). Every amount must arrive.
  {
    pg::Connection admin(live.dsn());
    admin.exec("ALTER DATABASE " + live.name() + " SET lc_monetary = 'de_DE.UTF-8'");
    for (const ScratchDatabase* playback : {&copy, &caught_up}) {
      admin.exec("ALTER DATABASE " + playback->name() + " SET lc_monetary = 'ja_JP.UTF-8'");
    }
  }
  SlotGuard slot_guard{live.dsn(), env.at("TAPEDECK_CAPTURE_SLOT_NAME")};

  const std::string log = temp_file("tdtr_round_trip") + ".log";
  std::printf("child logs in %s\n", log.c_str());
  // transform first: it migrates the store, where capture reads the watermark.
  ChildProcess transform({tapedeck_binary(), "transform"}, env, log);
  ChildProcess capture({tapedeck_binary(), "capture"}, env, log);
  pg::Connection connection(live.dsn());
  connection.exec("SET lc_monetary = 'C'");  // the workload's money literals are written in C
  // The slot row appears before the slot is consistent; capture logs once it streams.
  ASSERT_TRUE(
      eventually([&] { return read_file(log).find("streaming slot") != std::string::npos; }, 60s))
      << "capture did not start streaming; see " << log;

  workload->use(connection);
  connection.exec(kEveryTypeChanges);
  constexpr int kTransactions = 400;
  for (int i = 0; i < kTransactions; ++i) workload->step();
  const std::uint64_t last_xid = workload->last();

  // Everything consumed: the last transaction is stored and the watermark reached its commit.
  pg::Connection store_connection(store.dsn());
  std::string last_commit;
  ASSERT_TRUE(eventually(
      [&] {
        try {
          last_commit = query_text(
              store_connection,
              fmt::format("SELECT max(commit_lsn)::text FROM tapedeck.statements WHERE xid = '{}'",
                          last_xid));
        } catch (const std::exception&) {
          return false;  // the schema is not migrated yet
        }
        return !last_commit.empty();
      },
      120s))
      << "the last transaction was not stored; see " << log;
  ASSERT_TRUE(eventually(
      [&] {
        return query_text(store_connection,
                          fmt::format("SELECT lsn::text FROM tapedeck.watermarks WHERE name = '{}'",
                                      stream.stream())) == last_commit;
      },
      60s))
      << "the watermark did not reach the last commit LSN " << last_commit;
  EXPECT_EQ(query_text(store_connection, "SELECT max(commit_lsn)::text FROM tapedeck.statements"),
            last_commit);
  EXPECT_EQ(query_int(store_connection, "SELECT count(*) FROM tapedeck.dead_letters"), 0)
      << query_text(store_connection,
                    "SELECT string_agg(reason, E'\\n') FROM tapedeck.dead_letters");

  EXPECT_EQ(transform.stop(), 0);
  EXPECT_EQ(capture.stop(), 0);

  const std::string script = temp_file("tdtr_script") + ".sql";
  ASSERT_EQ(run_shell(env_prefix(env) + shell_quote(tapedeck_binary()) + " statements export > " +
                      shell_quote(script)),
            0);
  const std::string applied_log = script + ".psql.log";
  ASSERT_EQ(run_shell(fmt::format("psql -X -q -v ON_ERROR_STOP=1 -d {} -f {} > {} 2>&1",
                                  shell_quote(copy.dsn()), shell_quote(script),
                                  shell_quote(applied_log))),
            0)
      << "psql failed applying " << script << ":\n"
      << read_file(applied_log);

  // msgop's catch-up of every recorded transaction: merged inserts, statements prepared by
  // shape, DDL in order.
  pg::Connection caught_up_connection(caught_up.dsn());
  msgop::prepare_replay_target(caught_up_connection);  // as msgop does: reads money in C
  const auto far_future = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::system_clock::now().time_since_epoch() + std::chrono::hours(24));
  const msgop::CatchUpResult applied = msgop::catch_up(
      store_connection, caught_up_connection,
      msgop::TransactionFilter::catch_up(TxidSnapshot::parse("1:1:"), msgop::Instant{far_future}),
      msgop::CatchUpOptions{});
  EXPECT_EQ(applied.transactions,
            query_int(store_connection, "SELECT count(DISTINCT xid) FROM tapedeck.statements"));
  // The hot rows' updates: catch-up left some out, and the copy must still equal the Live DB.
  EXPECT_GT(applied.overwritten, 0);

  // The values Debezium's precise mode would null are there to be compared.
  constexpr const char* kSpecials =
      "SELECT count(*) FROM typed WHERE nv IN ('NaN', 'Infinity', '-Infinity') OR n = 'NaN'";
  EXPECT_GT(query_int(connection, kSpecials), 0);
  EXPECT_EQ(query_int(connection, "SELECT count(*) FROM every_type"), 4);
  pg::Connection copy_connection(copy.dsn());
  copy_connection.exec("SET lc_monetary = 'C'");  // reads money as the Live DB's reader does
  for (auto* applied_to : {&copy_connection, &caught_up_connection}) {
    const std::string how =
        applied_to == &copy_connection ? "psql -f of the export" : "msgop's catch-up";
    SCOPED_TRACE("applied by " + how);
    EXPECT_EQ(query_int(*applied_to, kSpecials), query_int(connection, kSpecials));
    // Column by column first, so that a difference names its column.
    for (const auto& column : typed_columns()) {
      const std::string sql = fmt::format(
          "SELECT md5(string_agg(coalesce({0}::text, '<null>'), '|' ORDER BY id)) FROM typed",
          column);
      EXPECT_EQ(query_text(*applied_to, sql), query_text(connection, sql))
          << "column typed." << column << " differs";
    }
    for (const auto& column : every_type_columns()) {
      const std::string sql = fmt::format(
          "SELECT string_agg(id || ':' || coalesce({0}::text, '<null>'), E'\\n' ORDER BY id) "
          "FROM every_type",
          column);
      EXPECT_EQ(query_text(*applied_to, sql), query_text(connection, sql))
          << "column every_type." << column << " differs";
    }
    for (const auto& table : tables()) {
      const std::string copy_digest = table_digest(*applied_to, table);
      if (copy_digest != table_digest(connection, table)) {
        ADD_FAILURE() << "table " << table << " differs; script " << script << "\n"
                      << row_differences(*applied_to, connection, table);
      }
    }
  }
  if (!HasFailure()) {
    std::filesystem::remove(script);
    std::filesystem::remove(applied_log);
    std::filesystem::remove(log);
  }
}

}  // namespace
}  // namespace tapedeck::transform::testing
