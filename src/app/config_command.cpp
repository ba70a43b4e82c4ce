// `tapedeck config check`: validate a configuration and show what is in force.
#include <fmt/format.h>

#include "app/cli.hpp"

namespace tapedeck::app {

void add_config_command(CLI::App& app, Context& context, Action& action) {
  auto* config = app.add_subcommand("config", "inspect the configuration");
  config->require_subcommand(1);
  auto* check = config->add_subcommand(
      "check", "validate the configuration file and environment; print every key (secrets masked)");
  auto quiet = std::make_shared<bool>(false);
  check->add_flag("-q,--quiet", *quiet, "print nothing when the configuration is valid");
  check->callback([&context, &action, quiet] {
    action = [&context, quiet] {
      const auto loaded = context.load_config();
      if (!*quiet) {
        fmt::print("# {}: valid\n{}", loaded.path().value_or("built-in defaults"),
                   loaded.describe());
      }
      return 0;
    };
  });
}

}  // namespace tapedeck::app
