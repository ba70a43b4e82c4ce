// Benchmark: pgoutput decode + Debezium JSON encode of typical rows, printed as events/s.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>
#include <vector>

#include "capture/debezium_encoder.hpp"
#include "capture/pgoutput.hpp"
#include "capture/relation_cache.hpp"

namespace {

using namespace tapedeck;
using namespace tapedeck::capture;

// Minimal big-endian pgoutput builder (the test helper lives under tests/).
struct Writer {
  std::string b;
  explicit Writer(char type) { b.push_back(type); }
  Writer& be(std::uint64_t v, int n) {
    for (int i = n - 1; i >= 0; --i) b.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
    return *this;
  }
  Writer& str(std::string_view s) {
    b.append(s);
    b.push_back('\0');
    return *this;
  }
  Writer& text_tuple(const std::vector<std::string>& values) {
    be(values.size(), 2);
    for (const auto& v : values) {
      b.push_back('t');
      be(v.size(), 4);
      b.append(v);
    }
    return *this;
  }
};

struct Column {
  const char* name;
  std::uint32_t oid;
  std::int32_t typmod;
};

constexpr Column kColumns[] = {
    {"id", 20, -1},           {"customer", 1043, 68},
    {"status", 25, -1},       {"amount", 1700, ((12 << 16) | 2) + 4},
    {"created_at", 1184, -1}, {"updated_at", 1114, -1},
    {"paid", 16, -1},         {"attributes", 3802, -1},
};

std::string relation_bytes() {
  Writer w('R');
  w.be(16400, 4).str("public").str("orders").be('d', 1).be(std::size(kColumns), 2);
  for (const auto& c : kColumns) {
    w.be(std::string_view(c.name) == "id" ? 1 : 0, 1)
        .str(c.name)
        .be(c.oid, 4)
        .be(static_cast<std::uint32_t>(c.typmod), 4);
  }
  return w.b;
}

std::string insert_bytes(std::uint64_t id) {
  Writer w('I');
  w.be(16400, 4).be('N', 1).text_tuple(
      {std::to_string(id), "Customer \"Ünïcode\" " + std::to_string(id % 97), "shipped",
       std::to_string(id % 100000) + ".99", "2024-03-01 12:34:56.123456+00",
       "2024-03-01 12:34:56.654321", "t", R"({"tags": ["a", "b"], "score": 12})"});
  return w.b;
}

std::string begin_bytes(std::uint64_t lsn, std::uint32_t xid) {
  Writer w('B');
  w.be(lsn, 8).be(762'000'000'000'000, 8).be(xid, 4);
  return w.b;
}

std::string commit_bytes(std::uint64_t lsn) {
  Writer w('C');
  w.be(0, 1).be(lsn, 8).be(lsn + 48, 8).be(762'000'000'000'000, 8);
  return w.b;
}

void run(benchmark::State& state, bool schemas) {
  const auto rows_per_tx = static_cast<std::uint64_t>(state.range(0));
  EncoderSettings settings;
  settings.topic_prefix = "bench";
  settings.database_name = "live";
  settings.schemas_enable = schemas;
  RelationCache relations;
  DebeziumEncoder encoder(settings, relations);
  std::vector<EncodedEvent> out;
  const std::string relation = relation_bytes();
  encoder.on_message(pgoutput::decode(relation), Lsn{1}, 0, out);
  std::vector<std::string> inserts;
  for (std::uint64_t i = 0; i < 1000; ++i) inserts.push_back(insert_bytes(i));

  std::uint64_t lsn = 1'000'000, events = 0, bytes = 0;
  std::uint32_t xid = 1000;
  for (auto _ : state) {
    out.clear();
    encoder.on_message(pgoutput::decode(begin_bytes(lsn + rows_per_tx * 100, xid)), Lsn{lsn}, 1,
                       out);
    for (std::uint64_t r = 0; r < rows_per_tx; ++r) {
      encoder.on_message(pgoutput::decode(inserts[r % inserts.size()]), Lsn{lsn + r * 100},
                         1'700'000'000'000'000, out);
      if (out.size() >= 256) {
        for (const auto& e : out) bytes += e.value.size();
        events += out.size();
        out.clear();
      }
    }
    encoder.on_message(pgoutput::decode(commit_bytes(lsn + rows_per_tx * 100)), Lsn{lsn}, 1, out);
    for (const auto& e : out) bytes += e.value.size();
    events += out.size();
    lsn += rows_per_tx * 100 + 200;
    ++xid;
  }
  state.counters["events/s"] =
      benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
  state.counters["bytes/event"] = static_cast<double>(bytes) / static_cast<double>(events);
}

void BM_DecodeEncodeSchemaless(benchmark::State& state) {
  run(state, false);
}
void BM_DecodeEncodeWithSchemas(benchmark::State& state) {
  run(state, true);
}

BENCHMARK(BM_DecodeEncodeSchemaless)->Arg(1)->Arg(1000);
BENCHMARK(BM_DecodeEncodeWithSchemas)->Arg(1)->Arg(1000);

}  // namespace

BENCHMARK_MAIN();
