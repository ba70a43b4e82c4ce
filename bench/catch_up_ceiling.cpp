// Catch-up's ceiling on a real recording, for bench/time_to_ready.sh: the statements a session
// at `until` catches up (msgop's own selection: not visible in the newest backup's snapshot,
// committed at or before `until`) are read into memory first, then applied to `target` (a copy
// restored from that backup) through libpq's pipeline mode, 1,000 statements or more a commit,
// each prepared by its shape as msgop's catch-up does (bench_support.hpp, apply_pipelined).
// Prints the count, the time and the rate, and a last line `ceiling_seconds: <s>` for the
// script. Needs nothing but the three databases; asserts nothing.
//
//   bench_catch_up_ceiling <store dsn> <live dsn> <target dsn> <until, RFC 3339>
#include <fmt/format.h>

#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "bench_support.hpp"
#include "core/error.hpp"
#include "core/lsn.hpp"
#include "core/pg/connection.hpp"
#include "core/rtus_call.hpp"
#include "core/txid_snapshot.hpp"
#include "msgop/recording_reader.hpp"

int main(int argc, char** argv) {
  using namespace tapedeck;
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s <store dsn> <live dsn> <target dsn> <until, RFC 3339>\n",
                 argv[0]);
    return 2;
  }
  try {
    pg::Connection store(argv[1], "bench-catch-up-ceiling");
    pg::Connection live(argv[2], "bench-catch-up-ceiling");
    pg::Connection target(argv[3], "bench-catch-up-ceiling");
    const msgop::Instant until{msgop::Micros{parse_rfc3339_micros(argv[4])}};
    const pg::Result backup = live.exec(
        "SELECT lsn::text, txid_snapshot::text FROM tapedeck.backups "
        "ORDER BY created_at DESC LIMIT 1");
    if (backup.rows() != 1) {
      std::fprintf(stderr, "no backup in tapedeck.backups of %s\n", argv[2]);
      return 1;
    }
    const auto backup_lsn = Lsn::parse(backup.text(0, 0));
    if (!backup_lsn) {
      std::fprintf(stderr, "unreadable backup LSN '%s'\n", std::string(backup.text(0, 0)).c_str());
      return 1;
    }
    const TxidSnapshot snapshot = TxidSnapshot::parse(backup.text(0, 1));

    const msgop::CatchUpExtent extent =
        msgop::measure_catch_up(store, snapshot, *backup_lsn, until);
    std::vector<std::vector<std::string>> transactions;
    std::int64_t statements = 0;
    {
      msgop::TransactionReader reader(store,
                                      msgop::TransactionFilter::catch_up(snapshot, until, extent));
      while (auto transaction = reader.next()) {
        statements += static_cast<std::int64_t>(transaction->statements.size());
        transactions.push_back(std::move(transaction->statements));
      }
    }
    const bench::CpuSplit cpu;
    const double seconds =
        bench::apply_pipelined(target, transactions, bench::Sent::prepared_by_shape);
    std::printf(
        "pipelined group commit of the same %lld statements (%zu transactions, in memory, "
        "each prepared by its shape): "
        "%.2f s = %.0f statements/s\n",
        static_cast<long long>(statements), transactions.size(), seconds,
        seconds > 0 ? static_cast<double>(statements) / seconds : 0.0);
    std::printf("  %s\n", cpu.summary().c_str());
    std::printf("ceiling_seconds: %.3f\n", seconds);
    return 0;
  } catch (const Error& error) {
    std::fprintf(stderr, "catch-up ceiling: %s\n", error.what());
    return 1;
  }
}
