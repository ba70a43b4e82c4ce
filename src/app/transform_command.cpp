// `tapedeck transform`: store the CDC stream's events as executable SQL in the TransformMsg DB.
#include "app/cli.hpp"
#include "transform/transform_service.hpp"

namespace tapedeck::app {

void add_transform_command(CLI::App& app, Context& context, Action& action) {
  auto* command = app.add_subcommand(
      "transform",
      "consume change events from JetStream and store them as SQL statements in the "
      "TransformMsg DB (several copies may share the durable consumer)");
  command->callback([&context, &action] {
    action = [&context] {
      const config::Config config = context.load_config();
      transform::TransformService service(transform::TransformSettings::from_config(config));
      return service.run();
    };
  });
}

}  // namespace tapedeck::app
