// `tapedeck timekeeper`: the 1 Hz system time in the Live DB and the RTUS notification.
#include "app/cli.hpp"
#include "timekeeper/timekeeper_service.hpp"

namespace tapedeck::app {

void add_timekeeper_command(CLI::App& app, Context& context, Action& action) {
  auto* command = app.add_subcommand(
      "timekeeper",
      "every second: write the time to the Live DB, notify the RTUS and record the call");
  command->callback([&context, &action] {
    action = [&context] {
      const config::Config config = context.load_config();
      timekeeper::TimekeeperService service(timekeeper::TimekeeperSettings::from_config(config));
      return service.run();
    };
  });
}

}  // namespace tapedeck::app
