// `tapedeck run`: every component in one process, one thread each, for a single-machine install.
#include <fmt/format.h>

#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "app/cli.hpp"
#include "app/components.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/exit_codes.hpp"
#include "core/log.hpp"
#include "core/stop.hpp"

namespace tapedeck::app {

namespace {

// The first component that stopped on its own, and why: one stopping stops them all, since a
// half-running install would record or replay silently incomplete.
class FirstFailure {
 public:
  void record(std::string_view component, int code, std::string reason) {
    std::lock_guard lock(mutex_);
    if (code_ != exit_code::ok) return;
    code_ = code;
    message_ = fmt::format("{} stopped: {}", component, reason);
  }
  int code() const { return code_; }
  const std::string& message() const { return message_; }

 private:
  std::mutex mutex_;
  int code_ = exit_code::ok;
  std::string message_;
};

int run_components(const config::Config& config) {
  const auto logger = log::get("run");
  const auto& names = config.string_list("run.components");
  std::vector<Component> selected;
  for (const auto& name : names) {
    auto component = find_component(name);
    if (!component) {
      throw Error(ErrorSource::config, Recovery::invalid,
                  fmt::format("run.components names '{}', which is not a component; use any of "
                              "{}",
                              name, fmt::join(component_names(), ", ")));
    }
    selected.push_back(std::move(*component));
  }
  if (selected.empty()) {
    throw Error(ErrorSource::config, Recovery::invalid,
                "run.components is empty; name at least one component to run");
  }

  FirstFailure failure;
  std::vector<std::jthread> threads;
  for (const auto& component : selected) {
    threads.emplace_back([&config, &failure, &logger, component] {
      int code = exit_code::ok;
      std::string reason = "it returned";
      try {
        code = component.run(config);
      } catch (const Error& error) {
        code = exit_code::for_error(error);
        reason = error.what();
      } catch (const std::exception& error) {
        code = exit_code::failed;
        reason = fmt::format("internal error: {}", error.what());
      }
      if (!stop::requested()) {
        // A component ends by itself only on a failure it cannot retry.
        failure.record(component.name, code == exit_code::ok ? exit_code::failed : code, reason);
        logger->error("{} stopped on its own ({}); stopping every component", component.name,
                      reason);
        stop::request();
      }
    });
  }
  logger->info("running {}", fmt::join(names, ", "));
  threads.clear();  // joins: every component returns once the stop flag is set
  if (failure.code() != exit_code::ok) {
    throw Error(ErrorSource::internal,
                failure.code() == exit_code::invalid_input ? Recovery::invalid : Recovery::fail,
                failure.message());
  }
  return exit_code::ok;
}

}  // namespace

void add_run_command(CLI::App& app, Context& context, Action& action) {
  auto* command = app.add_subcommand(
      "run", "start every component (run.components) in one process, until Ctrl-C or SIGTERM");
  command->callback([&context, &action] {
    action = [&context] { return run_components(context.load_config()); };
  });
}

}  // namespace tapedeck::app
