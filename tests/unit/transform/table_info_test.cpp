// Column lookup by name, for narrow tables (a scan) and wide ones (a hash index) alike.
#include "transform/table_info.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tapedeck::transform {
namespace {

TableInfo table_of(int columns) {
  std::vector<ColumnInfo> infos;
  for (int i = 0; i < columns; ++i) {
    infos.emplace_back("c" + std::to_string(i), i % 2 == 0 ? "integer" : "text");
  }
  return TableInfo("s", "t", std::move(infos), {"c0"}, false);
}

TEST(TableInfo, FindsEveryColumnOfNarrowAndWideTablesAndNothingElse) {
  for (const int width : {1, 3, 16, 17, 200}) {
    const TableInfo table = table_of(width);
    for (int i = 0; i < width; ++i) {
      const std::string name = "c" + std::to_string(i);
      const ColumnInfo* column = table.find(name);
      ASSERT_NE(column, nullptr) << name << " of " << width;
      EXPECT_EQ(column->name, name);
      EXPECT_EQ(column, &table.columns()[static_cast<std::size_t>(i)]);
    }
    EXPECT_EQ(table.find("c" + std::to_string(width)), nullptr) << width;
    EXPECT_EQ(table.find(""), nullptr) << width;
    EXPECT_EQ(table.find("C0"), nullptr) << width;
  }
}

}  // namespace
}  // namespace tapedeck::transform
