// The publication's table list and the tables capture leaves out of the stream.
#include "capture/table_filter.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"

namespace tapedeck::capture {
namespace {

pgoutput::Relation relation(std::uint32_t oid, std::string_view schema, std::string_view name) {
  pgoutput::Relation rel;
  rel.oid = oid;
  rel.namespace_ = schema;
  rel.name = name;
  rel.columns = {{true, "id", 23, -1}};
  return rel;
}

TEST(TableFilter, WithoutAnIncludeListPublishesAllTablesAndDropsTheUnrecordedOnes) {
  const TableFilter filter = TableFilter::from_lists({}, {});
  EXPECT_TRUE(filter.publication_tables().empty());
  EXPECT_TRUE(filter.excluded("tapedeck", "backups"));
  EXPECT_TRUE(filter.excluded("tapedeck", "schema_migrations"));
  EXPECT_FALSE(filter.excluded("tapedeck", "system_time"));
  EXPECT_FALSE(filter.excluded("public", "orders"));
}

TEST(TableFilter, AnIncludeListBecomesThePublicationMinusTheExcludedTables) {
  const TableFilter filter =
      TableFilter::from_lists({"orders", "sales.items", "tapedeck.backups"}, {"sales.items"});
  ASSERT_EQ(filter.publication_tables().size(), 2u);
  EXPECT_EQ(filter.publication_tables()[0].schema, "public");
  EXPECT_EQ(filter.publication_tables()[0].name, "orders");
  EXPECT_EQ(filter.publication_tables()[1].schema, "tapedeck");
  EXPECT_EQ(filter.publication_tables()[1].name, "schema_changes");
}

TEST(TableFilter, AnIncludeListAlwaysCarriesTheRecordedSchemaChangesOnce) {
  const TableFilter filter = TableFilter::from_lists({"tapedeck.schema_changes", "orders"}, {});
  EXPECT_EQ(filter.publication_tables().size(), 2u);
  EXPECT_TRUE(TableFilter::from_lists({}, {}).publication_tables().empty());
}

TEST(TableFilter, RefusesEmptyNames) {
  EXPECT_THROW(TableFilter::from_lists({"public."}, {}), Error);
  EXPECT_THROW(TableFilter::from_lists({}, {".x"}), Error);
}

TEST(TableFilter, ANamePartInDoubleQuotesMayHoldDotsAndQuotes) {
  const auto name = parse_table_name(R"(".Sch..ema*"."ta.ble"" 表")", "capture.exclude_tables");
  EXPECT_EQ(name.schema, ".Sch..ema*");
  EXPECT_EQ(name.name, "ta.ble\" 表");
  const auto table_only = parse_table_name(R"("a.b")", "k");
  EXPECT_EQ(table_only.schema, "public");
  EXPECT_EQ(table_only.name, "a.b");
  const auto mixed = parse_table_name(R"(sales."Order.Lines")", "k");
  EXPECT_EQ(mixed.schema, "sales");
  EXPECT_EQ(mixed.name, "Order.Lines");
  // Unquoted, the table is everything after the first dot, as written.
  const auto plain = parse_table_name("Sales.a.b", "k");
  EXPECT_EQ(plain.schema, "Sales");
  EXPECT_EQ(plain.name, "a.b");
}

TEST(TableFilter, RefusesAMalformedQuotedNameSayingWhy) {
  const auto message = [](std::string_view text) {
    try {
      parse_table_name(text, "capture.include_tables");
    } catch (const Error& error) {
      return std::string(error.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message(R"("open.t)").find("a quote is not closed"), std::string::npos);
  EXPECT_NE(message(R"("s"x.t)").find("text follows a closing quote"), std::string::npos);
  EXPECT_NE(message(R"("s"."t"."u")").find("more than two parts"), std::string::npos);
  EXPECT_NE(message(R"("".t)").find("an empty part"), std::string::npos);
  EXPECT_NE(message(R"("s".)").find("capture.include_tables"), std::string::npos);
}

TEST(TableFilter, DropsChangesOfExcludedRelationsAndKeepsOthers) {
  RelationCache cache;
  cache.apply(relation(1, "public", "orders"));
  cache.apply(relation(2, "public", "audit"));
  const TableFilter filter = TableFilter::from_lists({}, {"public.audit"});

  pgoutput::Message kept = pgoutput::Insert{1, {}};
  pgoutput::Message dropped = pgoutput::Insert{2, {}};
  pgoutput::Message dropped_delete = pgoutput::Delete{2, pgoutput::OldTupleKind::key, {}};
  pgoutput::Message unknown = pgoutput::Insert{3, {}};
  pgoutput::Message rel = relation(2, "public", "audit");
  EXPECT_TRUE(filter.admit(kept, cache));
  EXPECT_FALSE(filter.admit(dropped, cache));
  EXPECT_FALSE(filter.admit(dropped_delete, cache));
  EXPECT_TRUE(filter.admit(unknown, cache));
  EXPECT_TRUE(filter.admit(rel, cache));
}

TEST(TableFilter, RemovesExcludedRelationsFromATruncate) {
  RelationCache cache;
  cache.apply(relation(1, "public", "orders"));
  cache.apply(relation(2, "public", "audit"));
  const TableFilter filter = TableFilter::from_lists({}, {"public.audit"});

  pgoutput::Message both = pgoutput::Truncate{false, false, {1, 2}};
  EXPECT_TRUE(filter.admit(both, cache));
  EXPECT_EQ(std::get<pgoutput::Truncate>(both).relation_oids, std::vector<std::uint32_t>{1});
  pgoutput::Message only_excluded = pgoutput::Truncate{false, false, {2}};
  EXPECT_FALSE(filter.admit(only_excluded, cache));
}

}  // namespace
}  // namespace tapedeck::capture
