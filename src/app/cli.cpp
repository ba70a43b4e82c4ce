// Parsing, library guards and error reporting shared by every subcommand.
#include "app/cli.hpp"

#include <fmt/format.h>

#include <cstdio>

#include "core/error.hpp"
#include "core/exit_codes.hpp"
#include "core/http/client.hpp"
#include "core/log.hpp"
#include "core/nats/library.hpp"
#include "core/stop.hpp"

namespace tapedeck::app {

config::Config Context::load_config() const {
  auto environment = config::process_environment();
  if (!log_level.empty()) environment["TAPEDECK_LOG_LEVEL"] = log_level;
  auto loaded = config::Config::load_default(config_path, environment);
  log::configure(loaded.string("log.level"));
  return loaded;
}

int run(int argc, char** argv) {
  CLI::App app{"tapedeck: record a live PostgreSQL database and play it back at any past moment"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "tapedeck 0.1.0");
  Context context;
  app.add_option("--config", context.config_path,
                 "configuration file (default: $TAPEDECK_CONFIG, else built-in defaults)");
  app.add_option("--log-level", context.log_level, "trace, debug, info, warn, error, critical");

  Action action;
  add_config_command(app, context, action);
  add_rtus_recorder_command(app, context, action);
  add_scheduler_command(app, context, action);
  add_timekeeper_command(app, context, action);
  add_transform_command(app, context, action);
  add_statements_command(app, context, action);
  add_verify_command(app, context, action);
  add_capture_command(app, context, action);
  add_dbop_command(app, context, action);
  add_replaymgr_command(app, context, action);
  add_session_command(app, context, action);
  add_msgop_command(app, context, action);
  add_run_command(app, context, action);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return app.exit(error);
  }

  // Library-wide state lives for the whole command and is torn down last.
  http::CurlGlobal curl;
  nats::LibraryGuard nats_library;
  stop::install_signal_handlers();
  try {
    return action ? action() : 0;
  } catch (const Error& error) {
    std::fprintf(stderr, "tapedeck: %s\n", describe(error).c_str());  // with its causes
    return exit_code::for_error(error);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "tapedeck: internal error: %s\n", error.what());
    return exit_code::failed;
  }
}

}  // namespace tapedeck::app
