// `tapedeck dbop`: restores the snapshot of each new playback session into its own database.
#include "app/cli.hpp"
#include "app/components.hpp"

namespace tapedeck::app {

void add_dbop_command(CLI::App& app, Context& context, Action& action) {
  auto* dbop = app.add_subcommand(
      "dbop", "restore the nearest snapshot for each new playback session (dbop.*, playback.*)");
  dbop->callback([&context, &action] {
    action = [&context] { return run_component("dbop", context.load_config()); };
  });
}

}  // namespace tapedeck::app
