// `tapedeck capture`: record the Live DB's changes as Debezium events on JetStream.
#include "app/cli.hpp"
#include "app/components.hpp"

namespace tapedeck::app {

void add_capture_command(CLI::App& app, Context& context, Action& action) {
  auto* command = app.add_subcommand(
      "capture", "stream the Live DB's changes from a logical replication slot to JetStream");
  command->callback([&context, &action] {
    action = [&context] { return run_component("capture", context.load_config()); };
  });
}

}  // namespace tapedeck::app
