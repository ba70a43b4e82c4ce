// `tapedeck replaymgr`: the playback session manager (REST API, reaper).
#include "app/cli.hpp"
#include "replaymgr/replaymgr_service.hpp"

namespace tapedeck::app {

void add_replaymgr_command(CLI::App& app, Context& context, Action& action) {
  auto* replaymgr = app.add_subcommand(
      "replaymgr", "serve the playback session REST API on replaymgr.listen (replaymgr.*)");
  replaymgr->callback([&context, &action] {
    action = [&context] {
      replaymgr::ReplaymgrService service(
          replaymgr::ReplaymgrSettings::from_config(context.load_config()));
      return service.run();
    };
  });
}

}  // namespace tapedeck::app
