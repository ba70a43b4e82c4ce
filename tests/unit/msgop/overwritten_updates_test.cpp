// overwritten_updates: which UPDATEs of a catch-up group a later one overwrites whole, and what
// keeps an UPDATE applied.
#include "msgop/overwritten_updates.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tapedeck::msgop {
namespace {

RecordedTransaction transaction(std::vector<std::string> statements) {
  RecordedTransaction result;
  result.statements = std::move(statements);
  return result;
}

// The flags for one transaction holding `statements`.
std::vector<bool> flags(std::vector<std::string> statements) {
  const std::vector<RecordedTransaction> group{transaction(std::move(statements))};
  return overwritten_updates(group);
}

std::optional<std::string> row(std::string_view update) {
  ShapedStatement shaped;
  if (!shape_statement(update, shaped)) return std::nullopt;
  return overwritable_row(shaped);
}

constexpr const char* kFirst =
    R"(UPDATE "public"."branches" SET "bid" = 7, "bbalance" = 10 WHERE "bid" = 7)";
constexpr const char* kOther =
    R"(UPDATE "public"."branches" SET "bid" = 8, "bbalance" = 3 WHERE "bid" = 8)";
constexpr const char* kSecond =
    R"(UPDATE "public"."branches" SET "bid" = 7, "bbalance" = 25 WHERE "bid" = 7)";

TEST(OverwrittenUpdates, AnUpdateOfTheSameRowSettingTheSameColumnsOverwritesTheEarlierOne) {
  EXPECT_EQ(flags({kFirst, kSecond}), (std::vector<bool>{true, false}));
  EXPECT_EQ(flags({kFirst, kSecond, kFirst}), (std::vector<bool>{true, true, false}));
}

TEST(OverwrittenUpdates, ReachesAcrossTheSourceTransactionsOfTheGroup) {
  const std::vector<RecordedTransaction> group{
      transaction({kFirst, R"(INSERT INTO "public"."history" ("bid") VALUES (7))"}),
      transaction({R"(UPDATE "public"."branches" SET "bid" = 8, "bbalance" = 1 WHERE "bid" = 8)"}),
      transaction({kSecond})};
  EXPECT_EQ(overwritten_updates(group), (std::vector<bool>{true, false, false, false}));
}

TEST(OverwrittenUpdates, AnotherRowAnotherTableOrOtherColumnsOverwriteNothing) {
  EXPECT_EQ(flags({kFirst,
                   R"(UPDATE "public"."branches" SET "bid" = 8, "bbalance" = 25 WHERE "bid" = 8)"}),
            (std::vector<bool>{false, false}));
  EXPECT_EQ(flags({kFirst,
                   R"(UPDATE "public"."tellers" SET "bid" = 7, "bbalance" = 25 WHERE "bid" = 7)"}),
            (std::vector<bool>{false, false}));
  // An unchanged TOASTed column is left out of the SET: the earlier value of "note" stays.
  EXPECT_EQ(
      flags(
          {R"(UPDATE "public"."branches" SET "bid" = 7, "bbalance" = 10, "note" = 'x' WHERE "bid" = 7)",
           kSecond}),
      (std::vector<bool>{false, false}));
  // The same key written as another literal is another shape: left alone, never guessed.
  EXPECT_EQ(
      flags({kFirst,
             R"(UPDATE "public"."branches" SET "bid" = '7', "bbalance" = 25 WHERE "bid" = '7')"}),
      (std::vector<bool>{false, false}));
}

TEST(OverwrittenUpdates, DeletesAndInsertsInBetweenKeepTheOverwrite) {
  // Deleted and inserted again in between: the earlier write went with the deleted row.
  EXPECT_EQ(
      flags({kFirst, R"(DELETE FROM "public"."branches" WHERE "bid" = 7)",
             R"(INSERT INTO "public"."branches" ("bid", "bbalance") VALUES (7, 0))", kSecond}),
      (std::vector<bool>{true, false, false, false}));
  // A snapshot read's insert does nothing to a row that is there.
  EXPECT_EQ(
      flags(
          {kFirst,
           R"(INSERT INTO "public"."branches" ("bid", "bbalance") VALUES (7, 0) ON CONFLICT DO NOTHING)",
           kSecond}),
      (std::vector<bool>{true, false, false}));
}

TEST(OverwrittenUpdates, ADeleteOfTheRowLaterInTheGroupVoidsTheUpdatesBeforeIt) {
  const std::string remove = R"(DELETE FROM "public"."branches" WHERE "bid" = 7)";
  EXPECT_EQ(flags({kFirst, remove}), (std::vector<bool>{true, false}));
  // Whatever columns the UPDATEs set, and across an UPDATE of another row.
  const std::string note =
      R"(UPDATE "public"."branches" SET "bid" = 7, "note" = 'x' WHERE "bid" = 7)";
  EXPECT_EQ(flags({kFirst, note, kOther, remove}), (std::vector<bool>{true, true, false, false}));
  // Inserted again after the DELETE: the UPDATEs before it still went with the deleted row.
  EXPECT_EQ(flags({kFirst, remove, R"(INSERT INTO "public"."branches" ("bid") VALUES (7))"}),
            (std::vector<bool>{true, false, false}));
  // Another key, another table, a keyless DELETE, or a barrier in between: applied.
  EXPECT_EQ(flags({kFirst, R"(DELETE FROM "public"."branches" WHERE "bid" = 8)"}),
            (std::vector<bool>{false, false}));
  EXPECT_EQ(flags({kFirst, R"(DELETE FROM "public"."tellers" WHERE "bid" = 7)"}),
            (std::vector<bool>{false, false}));
  EXPECT_EQ(flags({kFirst, R"(DELETE FROM "public"."branches" WHERE (tableoid, ctid) = )"
                           R"((SELECT tableoid, ctid FROM "public"."branches" WHERE "bid" = 7 )"
                           R"(LIMIT 1))"}),
            (std::vector<bool>{false, false}));
  EXPECT_EQ(flags({kFirst, R"(UPDATE "public"."branches" SET "bid" = 7 WHERE "bid" = 9)", remove}),
            (std::vector<bool>{false, false, false}));
  // The same value written as another literal is another row to this reading: applied.
  EXPECT_EQ(flags({kFirst, R"(DELETE FROM "public"."branches" WHERE "bid" = '7')"}),
            (std::vector<bool>{false, false}));
}

TEST(OverwrittenUpdates, AnythingThatMayMoveARowToAnotherKeyKeepsEveryUpdateBeforeIt) {
  // A key change (tapedeck renders it as an UPDATE setting the new key): the row written first
  // may now be another key's, and the later UPDATE another row.
  const std::string move = R"(UPDATE "public"."branches" SET "bid" = 7 WHERE "bid" = 9)";
  EXPECT_EQ(flags({kFirst, move, kSecond}), (std::vector<bool>{false, false, false}));
  for (const std::string& barrier :
       {std::string(R"(TRUNCATE ONLY "public"."branches")"),
        std::string("SELECT pg_catalog.set_config('search_path', 'public', true);\n"
                    "ALTER TABLE branches ADD COLUMN x int"),
        std::string(R"(UPDATE "public"."t" SET "a" = E'x' WHERE "id" = 1)"),
        std::string(R"(INSERT INTO "public"."branches" ("bid") VALUES (7) ON CONFLICT ("bid") )"
                    R"(DO UPDATE SET "bbalance" = "branches"."bbalance" + 1)"),
        std::string(R"(SELECT 1)"),
        std::string(R"(UPDATE "public"."nokey" SET "a" = 2 WHERE (tableoid, ctid) = (SELECT )"
                    R"(tableoid, ctid FROM "public"."nokey" WHERE "a" = 1 LIMIT 1))")}) {
    EXPECT_EQ(flags({kFirst, barrier, kSecond}), (std::vector<bool>{false, false, false}))
        << barrier;
  }
  // After the barrier, overwrites start again.
  EXPECT_EQ(flags({kFirst, move, kFirst, kSecond}), (std::vector<bool>{false, false, true, false}));
}

TEST(OverwrittenUpdates, AnUpdateThatChangesItsKeyIsNeverOverwritable) {
  EXPECT_FALSE(row(R"(UPDATE "t" SET "id" = 6, "v" = 1 WHERE "id" = 5)"));
  // A bare lowercase name is the quoted one.
  EXPECT_FALSE(row(R"(UPDATE "t" SET "id" = 6, v = 1 WHERE id = 5)"));
  EXPECT_FALSE(row(R"(UPDATE "t" SET id = '6', v = 1 WHERE "id" = '5')"));
  // The same value written another way: not known to be the same, so not overwritable.
  EXPECT_FALSE(row(R"(UPDATE "t" SET "id" = '5', "v" = 1 WHERE "id" = 5)"));
  // One column of a composite key changed.
  EXPECT_FALSE(row(R"(UPDATE "t" SET "a" = 1, "b" = 3 WHERE "a" = 1 AND "b" = 2)"));
  EXPECT_TRUE(row(R"(UPDATE "t" SET "a" = 1, "b" = 2, "v" = 'x' WHERE "a" = 1 AND "b" = 2)"));
  EXPECT_TRUE(row(R"(UPDATE "t" SET "v" = 'x' WHERE "id" = 5)"));
  // "Id" is another column than "id": setting it leaves the key alone.
  EXPECT_TRUE(row(R"(UPDATE "t" SET "Id" = 6 WHERE "id" = 5)"));
}

TEST(OverwrittenUpdates, OnlyColumnEqualsValueConditionsIdentifyARow) {
  EXPECT_FALSE(row(R"(UPDATE "t" SET "v" = 1 WHERE "k"::text = ('a')::text)"));
  EXPECT_FALSE(row(R"(UPDATE "t" SET "v" = 1 WHERE ROW("k") IS NULL)"));
  EXPECT_FALSE(row(R"(UPDATE "t" SET "v" = 1 WHERE "k" = 1 OR "k" = 2)"));
  EXPECT_FALSE(row(R"(UPDATE "t" SET "v" = 1 WHERE "k" = 1 OR true)"));
  EXPECT_FALSE(row(R"(UPDATE "t" SET "v" = 1 WHERE "k" = 'a'::text COLLATE "C")"));
  EXPECT_FALSE(row(R"(UPDATE "t" SET "v" = 1 WHERE "k" = 1 + 1)"));
  // A cast, its name in several words, is one value.
  EXPECT_TRUE(row(R"(UPDATE "t" SET "v" = 1 WHERE "k" = '2026-01-01'::timestamp with time zone)"));
  EXPECT_TRUE(row(R"(UPDATE "t" SET "v" = 1 WHERE "k" = '1.5'::numeric(12,2))"));
  EXPECT_TRUE(row(R"(UPDATE "t" SET "v" = 1 WHERE "k" = 'a'::"public"."my type"[])"));
  EXPECT_FALSE(row(R"(UPDATE "t" SET "v" = 1)"));
  // No table (the fuzz target's first find): nothing, never an exception.
  EXPECT_FALSE(row(R"(UPDATE SET "v" = 1 WHERE "k" = 1)"));
  EXPECT_EQ(flags({R"(UPDATE SET "v" = 1 WHERE "k" = 1)", R"(DELETE FROM WHERE "k" = 1)",
                   R"(UPDATE SET "v" = 1 WHERE "k" = 1)"}),
            (std::vector<bool>{false, false, false}));
}

TEST(OverwrittenUpdates, QuotesAndBracketsDoNotSplitTheStatement) {
  // Separators inside identifiers and the literals the shaper leaves in place.
  const std::string update =
      R"(UPDATE "s"" SET x"."t WHERE y" SET "a, b" = ARRAY['p WHERE q', 'r AND s, t'], )"
      R"("n" = 1::numeric(12,2) WHERE "id"" AND" = 3 AND "k" = 'z')";
  const auto identity = row(update);
  ASSERT_TRUE(identity);
  EXPECT_EQ(flags({update, update}), (std::vector<bool>{true, false}));
  // The key values belong to the identity; the SET values do not.
  const std::string other_key =
      R"(UPDATE "s"" SET x"."t WHERE y" SET "a, b" = ARRAY['p WHERE q', 'r AND s, t'], )"
      R"("n" = 2::numeric(12,2) WHERE "id"" AND" = 3 AND "k" = 'zz')";
  EXPECT_NE(row(other_key), identity);
  const std::string other_set =
      R"(UPDATE "s"" SET x"."t WHERE y" SET "a, b" = ARRAY['p WHERE q', 'r AND s, t'], )"
      R"("n" = 2::numeric(12,2) WHERE "id"" AND" = 3 AND "k" = 'z')";
  EXPECT_EQ(row(other_set), identity);
}

TEST(OverwrittenUpdates, KeyValuesThatReadAlikeStayApart) {
  // The values are length-prefixed: no concatenation of two keys matches another pair.
  EXPECT_NE(row(R"(UPDATE "t" SET "v" = 1 WHERE "a" = 'x' AND "b" = 'yz')"),
            row(R"(UPDATE "t" SET "v" = 1 WHERE "a" = 'xy' AND "b" = 'z')"));
  EXPECT_NE(row(R"(UPDATE "t" SET "v" = 1 WHERE "a" = 'x:1' AND "b" = 'z')"),
            row(R"(UPDATE "t" SET "v" = 1 WHERE "a" = 'x' AND "b" = '1:z')"));
}

// "k" = NULL finds no row: such an UPDATE (which fails its one-row check) is never left out,
// even before one of "k" = '' that would otherwise read alike. A NULL set is a value like any.
TEST(OverwrittenUpdates, ANullKeyIsNoRowAndANullSetIsAValue) {
  EXPECT_FALSE(row(R"(UPDATE "t" SET "v" = 1 WHERE "k" = NULL)"));
  EXPECT_EQ(flags({R"(UPDATE "t" SET "v" = 1 WHERE "k" = NULL)",
                   R"(UPDATE "t" SET "v" = 2 WHERE "k" = '')"}),
            (std::vector<bool>{false, false}));
  EXPECT_EQ(flags({R"(UPDATE "t" SET "v" = NULL WHERE "k" = 1)",
                   R"(UPDATE "t" SET "v" = 2 WHERE "k" = 1)"}),
            (std::vector<bool>{true, false}));
}

TEST(OverwrittenUpdates, AnEmptyGroupHasNoFlags) {
  EXPECT_TRUE(overwritten_updates({}).empty());
}

}  // namespace
}  // namespace tapedeck::msgop
