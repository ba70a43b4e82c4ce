// COPY FROM STDIN and COPY TO STDOUT against the Live DB of the local stack.
#include "core/pg/copy.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "integration/core/pg/scratch.hpp"

namespace tapedeck::pg {
namespace {

using testing::live_dsn;
using testing::unique_name;

class CopyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    table_ = unique_name("pg_copy");
    connection_.exec("CREATE TABLE " + table_ + " (id int PRIMARY KEY, note text)");
  }
  void TearDown() override { connection_.exec("DROP TABLE IF EXISTS " + table_); }

  std::int64_t count() {
    return connection_.exec("SELECT count(*) FROM " + table_).get<std::int64_t>(0, 0);
  }

  Connection connection_{live_dsn()};
  std::string table_;
};

std::string row_text(int id) {
  if (id % 100 == 0) return std::to_string(id) + "\t\\N\n";  // every 100th note is NULL
  return std::to_string(id) + "\tnote " + std::to_string(id) + "\n";
}

TEST_F(CopyTest, CopiesTenThousandRowsInAndReadsThemBackOut) {
  CopyIn copy(connection_, "COPY " + table_ + " (id, note) FROM STDIN");
  std::string chunk;
  for (int id = 1; id <= 10'000; ++id) {
    chunk += row_text(id);
    if (chunk.size() > 8'000) {
      copy.write(chunk);
      chunk.clear();
    }
  }
  copy.write(chunk);
  EXPECT_EQ(copy.finish(), 10'000);
  EXPECT_EQ(count(), 10'000);
  EXPECT_EQ(connection_.exec("SELECT count(*) FROM " + table_ + " WHERE note IS NULL")
                .get<std::int64_t>(0, 0),
            100);

  std::string expected;
  for (int id = 1; id <= 10'000; ++id) expected += row_text(id);
  std::string received;
  int chunks = 0;
  const std::int64_t rows =
      copy_out(connection_, "COPY (SELECT id, note FROM " + table_ + " ORDER BY id) TO STDOUT",
               [&](std::string_view data) {
                 received.append(data);
                 ++chunks;
               });
  EXPECT_EQ(rows, 10'000);
  EXPECT_EQ(chunks, 10'000);  // one chunk per row
  EXPECT_EQ(received, expected);
}

TEST_F(CopyTest, ACopyInDestroyedBeforeFinishStoresNothing) {
  {
    CopyIn copy(connection_, "COPY " + table_ + " FROM STDIN");
    copy.write("1\tone\n2\ttwo\n");
  }
  EXPECT_EQ(count(), 0);
  EXPECT_TRUE(connection_.alive());
}

TEST_F(CopyTest, BadDataFailsAtFinishWithTheServerError) {
  CopyIn copy(connection_, "COPY " + table_ + " FROM STDIN");
  copy.write("1\tone\nnot-a-number\ttwo\n");
  try {
    copy.finish();
    FAIL() << "the second row cannot be stored";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), "22P02") << error.what();  // invalid_text_representation
    EXPECT_EQ(error.recovery(), Recovery::fail);
  }
  EXPECT_EQ(count(), 0);
}

TEST_F(CopyTest, AThrowingReaderLeavesTheConnectionUsable) {
  connection_.exec("INSERT INTO " + table_ + " SELECT g, 'x' FROM generate_series(1, 1000) g");
  int seen = 0;
  EXPECT_THROW(copy_out(connection_, "COPY " + table_ + " TO STDOUT",
                        [&](std::string_view) {
                          if (++seen == 10) throw std::runtime_error("reader gave up");
                        }),
               std::runtime_error);
  EXPECT_EQ(seen, 10);
  EXPECT_EQ(connection_.exec("SELECT 1").get<int>(0, 0), 1);
}

TEST_F(CopyTest, ACopyThroughExecIsRefusedAndTheConnectionStaysUsable) {
  EXPECT_THROW(connection_.exec("COPY " + table_ + " FROM STDIN"), Error);
  EXPECT_THROW(connection_.exec("COPY " + table_ + " TO STDOUT"), Error);
  EXPECT_EQ(connection_.exec("SELECT 2").get<int>(0, 0), 2);
}

}  // namespace
}  // namespace tapedeck::pg
