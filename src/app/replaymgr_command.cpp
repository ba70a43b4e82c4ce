// `tapedeck replaymgr`: the playback session manager (REST API, reaper).
#include "app/cli.hpp"
#include "app/components.hpp"

namespace tapedeck::app {

void add_replaymgr_command(CLI::App& app, Context& context, Action& action) {
  auto* replaymgr = app.add_subcommand(
      "replaymgr", "serve the playback session REST API on replaymgr.listen (replaymgr.*)");
  replaymgr->callback([&context, &action] {
    action = [&context] { return run_component("replaymgr", context.load_config()); };
  });
}

}  // namespace tapedeck::app
