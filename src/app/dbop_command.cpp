// `tapedeck dbop`: restores the snapshot of each new playback session into its own database.
#include "app/cli.hpp"
#include "dbop/dbop_service.hpp"

namespace tapedeck::app {

void add_dbop_command(CLI::App& app, Context& context, Action& action) {
  auto* dbop = app.add_subcommand(
      "dbop", "restore the nearest snapshot for each new playback session (dbop.*, playback.*)");
  dbop->callback([&context, &action] {
    action = [&context] {
      const auto config = context.load_config();
      dbop::DbopService service(dbop::DbopSettings::from_config(config), config);
      return service.run();
    };
  });
}

}  // namespace tapedeck::app
