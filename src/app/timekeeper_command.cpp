// `tapedeck timekeeper`: the 1 Hz system time in the Live DB and the RTUS notification.
#include "app/cli.hpp"
#include "app/components.hpp"

namespace tapedeck::app {

void add_timekeeper_command(CLI::App& app, Context& context, Action& action) {
  auto* command = app.add_subcommand(
      "timekeeper",
      "every second: write the time to the Live DB, notify the RTUS and record the call");
  command->callback([&context, &action] {
    action = [&context] { return run_component("timekeeper", context.load_config()); };
  });
}

}  // namespace tapedeck::app
