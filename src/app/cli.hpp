// The command line: global options, library guards, and every subcommand.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <optional>
#include <string>

#include "core/config.hpp"

namespace tapedeck::app {

// What every subcommand gets: the global options, and the configuration loaded on demand
// (so `--help` works without a config file).
struct Context {
  std::optional<std::string> config_path;
  std::string log_level;  // overrides log.level when set
  config::Config load_config() const;
};

// A subcommand sets `action`; run() calls it after parsing and returns its exit code.
using Action = std::function<int()>;

int run(int argc, char** argv);

// One function per command group, each in its own <group>_command.cpp.
void add_config_command(CLI::App& app, Context& context, Action& action);
void add_rtus_recorder_command(CLI::App& app, Context& context, Action& action);
void add_scheduler_command(CLI::App& app, Context& context, Action& action);
void add_timekeeper_command(CLI::App& app, Context& context, Action& action);
void add_transform_command(CLI::App& app, Context& context, Action& action);
void add_statements_command(CLI::App& app, Context& context, Action& action);
void add_verify_command(CLI::App& app, Context& context, Action& action);
void add_capture_command(CLI::App& app, Context& context, Action& action);
void add_dbop_command(CLI::App& app, Context& context, Action& action);
void add_replaymgr_command(CLI::App& app, Context& context, Action& action);
void add_session_command(CLI::App& app, Context& context, Action& action);
void add_msgop_command(CLI::App& app, Context& context, Action& action);
void add_run_command(CLI::App& app, Context& context, Action& action);

}  // namespace tapedeck::app
