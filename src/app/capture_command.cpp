// `tapedeck capture`: record the Live DB's changes as Debezium events on JetStream.
#include "app/cli.hpp"
#include "capture/capture_service.hpp"

namespace tapedeck::app {

void add_capture_command(CLI::App& app, Context& context, Action& action) {
  auto* command = app.add_subcommand(
      "capture", "stream the Live DB's changes from a logical replication slot to JetStream");
  command->callback([&context, &action] {
    action = [&context] {
      const config::Config config = context.load_config();
      capture::CaptureService service(capture::CaptureSettings::from_config(config));
      return service.run();
    };
  });
}

}  // namespace tapedeck::app
