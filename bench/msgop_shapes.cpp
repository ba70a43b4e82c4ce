// What catch-up's pure work costs per recorded statement, beside the session database's apply:
// taking a statement apart by its shape (statement_shape.hpp) and finding the UPDATEs a later
// one overwrites (overwritten_updates.hpp), over groups of 1,000 statements shaped like a
// pgbench recording (an account, a teller and a branch updated and a history row inserted per
// transaction, 70 branches and 700 tellers as at scale 70).
// Run: build/bench/bench_msgop_shapes  (items_per_second: statements a second on one core)
#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <random>
#include <vector>

#include "msgop/overwritten_updates.hpp"
#include "msgop/statement_shape.hpp"

namespace {

using namespace tapedeck::msgop;

std::vector<RecordedTransaction> pgbench_group() {
  std::mt19937 random(70);
  std::vector<RecordedTransaction> group;
  for (int i = 0; i < 250; ++i) {
    const auto account = random() % 7'000'000;
    const auto teller = random() % 700;
    const auto branch = random() % 70;
    const int delta = static_cast<int>(random() % 10'001) - 5'000;
    RecordedTransaction transaction;
    transaction.statements = {
        fmt::format(R"(UPDATE "public"."pgbench_accounts" SET "aid" = {0}, "bid" = {1}, )"
                    R"("abalance" = {2}, "filler" = '{3:84}' WHERE "aid" = {0})",
                    account, branch, delta, ""),
        fmt::format(R"(UPDATE "public"."pgbench_tellers" SET "tid" = {0}, "bid" = {1}, )"
                    R"("tbalance" = {2}, "filler" = NULL WHERE "tid" = {0})",
                    teller, branch, delta),
        fmt::format(R"(UPDATE "public"."pgbench_branches" SET "bid" = {0}, "bbalance" = {1}, )"
                    R"("filler" = NULL WHERE "bid" = {0})",
                    branch, delta),
        fmt::format(R"(INSERT INTO "public"."pgbench_history" ("tid", "bid", "aid", "delta", )"
                    R"("mtime", "filler") VALUES ({}, {}, {}, {}, '2026-12-07 23:40:01.123456', )"
                    R"(NULL))",
                    teller, branch, account, delta)};
    group.push_back(std::move(transaction));
  }
  return group;
}

void BM_ShapeStatement(benchmark::State& state) {
  const auto group = pgbench_group();
  ShapedStatement shaped;
  std::int64_t statements = 0;
  for (auto _ : state) {
    for (const auto& transaction : group) {
      for (const auto& statement : transaction.statements) {
        benchmark::DoNotOptimize(shape_statement(statement, shaped));
        ++statements;
      }
    }
  }
  state.SetItemsProcessed(statements);
}
BENCHMARK(BM_ShapeStatement);

void BM_OverwrittenUpdates(benchmark::State& state) {
  const auto group = pgbench_group();
  std::int64_t statements = 0;
  std::int64_t overwritten = 0;
  for (auto _ : state) {
    const auto flags = overwritten_updates(group);
    for (const bool flag : flags) overwritten += flag ? 1 : 0;
    statements += static_cast<std::int64_t>(flags.size());
  }
  state.SetItemsProcessed(statements);
  state.counters["overwritten_share"] =
      statements > 0 ? static_cast<double>(overwritten) / static_cast<double>(statements) : 0;
}
BENCHMARK(BM_OverwrittenUpdates);

}  // namespace

BENCHMARK_MAIN();
