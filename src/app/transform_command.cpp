// `tapedeck transform`: store the CDC stream's events as executable SQL in the TransformMsg DB.
#include "app/cli.hpp"
#include "app/components.hpp"

namespace tapedeck::app {

void add_transform_command(CLI::App& app, Context& context, Action& action) {
  auto* command = app.add_subcommand(
      "transform",
      "consume change events from JetStream and store them as SQL statements in the "
      "TransformMsg DB (several copies may share the durable consumer)");
  command->callback([&context, &action] {
    action = [&context] { return run_component("transform", context.load_config()); };
  });
}

}  // namespace tapedeck::app
