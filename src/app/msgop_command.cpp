// `tapedeck msgop`: catch restored sessions up exactly, then replay them paced.
#include "app/cli.hpp"
#include "app/components.hpp"

namespace tapedeck::app {

void add_msgop_command(CLI::App& app, Context& context, Action& action) {
  auto* command = app.add_subcommand(
      "msgop",
      "on restore.ok, catch the session database up to the session start exactly, then replay "
      "recorded statements and RTUS calls paced on the session's clock (several copies share "
      "the sessions)");
  command->callback([&context, &action] {
    action = [&context] { return run_component("msgop", context.load_config()); };
  });
}

}  // namespace tapedeck::app
