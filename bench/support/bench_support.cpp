#include "bench_support.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <limits>
#include <optional>
#include <sstream>
#include <stdexcept>

#include "core/config.hpp"
#include "core/error.hpp"
#include "core/pg/connection.hpp"
#include "core/pg/pipeline.hpp"
#include "core/sql_quote.hpp"
#include "msgop/statement_shape.hpp"

namespace tapedeck::bench {

std::string required_env(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') {
    std::fprintf(stderr, "%s is not set: run eval \"$(./run stack env)\" first\n", name);
    std::exit(2);
  }
  return value;
}

std::string env_or(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? std::string(value) : fallback;
}

std::string tapedeck_binary() {
  return env_or(
      "TAPEDECK_BINARY",
      (std::filesystem::canonical("/proc/self/exe").parent_path().parent_path() / "tapedeck")
          .string());
}

namespace {

std::vector<std::string> tapedeck_command(const std::vector<std::string>& arguments) {
  std::vector<std::string> argv = {tapedeck_binary()};
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  return argv;
}

}  // namespace

TapedeckProcess::TapedeckProcess(const std::vector<std::string>& arguments,
                                 const std::map<std::string, std::string>& extra,
                                 const std::string& log_file)
    : process_(tapedeck_command(arguments), extra, log_file) {
  if (process_.start_error()) {
    throw std::runtime_error(*process_.start_error() + " (build it first or set TAPEDECK_BINARY)");
  }
}

void TapedeckProcess::stop() {
  process_.stop();
}

namespace {

// Fields 14 through `last` of a /proc/<pid>/stat text (14 utime, 15 stime, 16 cutime, 17
// cstime), summed, in seconds. The fields are counted after the command name, which may hold
// spaces; state is field 3.
double stat_seconds(const std::string& text, int last) {
  const auto close = text.rfind(')');
  if (close == std::string::npos || close + 2 > text.size()) return 0;
  std::istringstream fields(text.substr(close + 2));
  std::string field;
  unsigned long long ticks = 0;
  for (int index = 3; index <= last && fields >> field; ++index) {
    if (index >= 14) ticks += std::stoull(field);
  }
  return static_cast<double>(ticks) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream file(path);
  return {(std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>()};
}

}  // namespace

double cpu_seconds(pid_t pid) {
  return stat_seconds(read_text("/proc/" + std::to_string(pid) + "/stat"), 15);
}

ScratchDatabases::~ScratchDatabases() {
  for (auto it = names_.rbegin(); it != names_.rend(); ++it) {
    try {
      admin_.exec("DROP DATABASE IF EXISTS " + sql::quote_identifier(*it) + " WITH (FORCE)");
    } catch (const std::exception& error) {
      std::fprintf(stderr, "cleanup: %s\n", error.what());
    }
  }
}

std::string ScratchDatabases::create(const std::string& name, const std::string& template_name) {
  admin_.exec("CREATE DATABASE " + sql::quote_identifier(name) +
              (template_name.empty() ? "" : " TEMPLATE " + sql::quote_identifier(template_name)));
  names_.push_back(name);
  return name;
}

void settle(pg::Connection& admin) {
  try {
    admin.exec("CHECKPOINT");
  } catch (const Error& error) {
    std::cerr << "no CHECKPOINT between timed phases: " << error.message() << "\n";
  }
  ::sync();
}

double apply_pipelined(pg::Connection& target,
                       const std::vector<std::vector<std::string>>& transactions, Sent sent,
                       int per_commit) {
  // Taken apart before the clock starts: what stays is only what the server must do.
  std::vector<std::vector<std::optional<msgop::ShapedStatement>>> shaped(transactions.size());
  if (sent == Sent::prepared_by_shape) {
    for (std::size_t t = 0; t < transactions.size(); ++t) {
      for (const auto& statement : transactions[t]) {
        msgop::ShapedStatement out;
        shaped[t].push_back(msgop::shape_statement(statement, out)
                                ? std::optional<msgop::ShapedStatement>(std::move(out))
                                : std::nullopt);
      }
    }
  }
  msgop::PreparedShapes prepared(std::numeric_limits<std::size_t>::max());
  target.exec("DEALLOCATE ALL");
  const auto began = std::chrono::steady_clock::now();
  {
    pg::Pipeline pipeline(target);
    int in_group = 0;
    pipeline.send("BEGIN");
    for (std::size_t t = 0; t < transactions.size(); ++t) {
      for (std::size_t i = 0; i < transactions[t].size(); ++i) {
        const auto* statement =
            sent == Sent::prepared_by_shape && shaped[t][i] ? &*shaped[t][i] : nullptr;
        if (statement == nullptr) {
          pipeline.send(transactions[t][i]);
        } else {
          const auto use = prepared.use(statement->shape, statement->types);
          if (use->prepare_first) pipeline.prepare(use->name, statement->shape, statement->types);
          pipeline.send_prepared(use->name, statement->values);
        }
        ++in_group;
      }
      if (in_group >= per_commit) {
        pipeline.send("COMMIT");
        pipeline.sync();
        pipeline.send("BEGIN");
        in_group = 0;
      }
    }
    pipeline.send("COMMIT");
    pipeline.sync();
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  target.exec("DEALLOCATE ALL");
  return seconds;
}

namespace {

constexpr const char* kCpuGroups[] = {"nats-server", "postgres", "tapedeck"};

std::string cpu_group(const std::string& command) {
  for (const char* group : kCpuGroups) {
    if (command == group) return group;
  }
  return "other";
}

}  // namespace

CpuSplit::CpuSplit() : start_(read()), started_(std::chrono::steady_clock::now()) {}

CpuSplit::Reading CpuSplit::read() {
  Reading reading;
  const double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", error)) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const std::string text = read_text(entry.path() / "stat");
    const auto open = text.find('(');
    const auto close = text.rfind(')');
    if (open == std::string::npos || close == std::string::npos || close < open) continue;
    reading.processes[static_cast<pid_t>(std::stol(name))] = {
        cpu_group(text.substr(open + 1, close - open - 1)),
        stat_seconds(text, 17)};  // with the reaped children's cutime and cstime
  }
  // The first line of /proc/stat: user nice system idle iowait irq softirq steal, in ticks.
  std::ifstream stat("/proc/stat");
  std::string label;
  std::vector<double> times(8, 0.0);
  stat >> label;
  for (auto& value : times) stat >> value;
  reading.idle = (times[3] + times[4]) / tick;
  reading.busy = (times[0] + times[1] + times[2] + times[5] + times[6] + times[7]) / tick;
  return reading;
}

std::string CpuSplit::summary() const {
  const Reading end = read();
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  std::map<std::string, double> used;
  double known = 0;
  for (const auto& [pid, process] : end.processes) {
    const auto before = start_.processes.find(pid);
    // A process started in between (pid not seen before, or reused) counts from zero.
    const double from = before != start_.processes.end() && before->second.first == process.first
                            ? before->second.second
                            : 0.0;
    const double seconds = std::max(0.0, process.second - from);
    if (process.first != "other") {
      used[process.first] += seconds;
      known += seconds;
    }
  }
  const double busy = std::max(0.0, end.busy - start_.busy);
  const double idle = std::max(0.0, end.idle - start_.idle);
  const long cores = sysconf(_SC_NPROCESSORS_ONLN);
  std::string text = "cpu (cores of " + std::to_string(cores) + " over ";
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.2f s):", wall);
  text += buffer;
  const double per_second = wall > 0 ? 1.0 / wall : 0.0;
  for (const char* group : kCpuGroups) {
    std::snprintf(buffer, sizeof buffer, " %s %.2f,", group, used[group] * per_second);
    text += buffer;
  }
  std::snprintf(buffer, sizeof buffer, " other %.2f, idle %.2f",
                std::max(0.0, busy - known) * per_second, idle * per_second);
  text += buffer;
  return text;
}

}  // namespace tapedeck::bench
