// `tapedeck config check [FILE]`: validate a configuration and show what is in force.
#include <fmt/format.h>

#include "app/cli.hpp"
#include "core/exit_codes.hpp"

namespace tapedeck::app {

void add_config_command(CLI::App& app, Context& context, Action& action) {
  auto* config = app.add_subcommand("config", "inspect the configuration");
  config->require_subcommand(1);
  auto* check = config->add_subcommand(
      "check", "validate the configuration file and environment; print every key (secrets masked)");
  auto file = std::make_shared<std::optional<std::string>>();
  check->add_option("file", *file,
                    "configuration file to check (default: --config, $TAPEDECK_CONFIG, else "
                    "built-in defaults)");
  auto quiet = std::make_shared<bool>(false);
  check->add_flag("-q,--quiet", *quiet, "print nothing when the configuration is valid");
  check->callback([&context, &action, file, quiet] {
    if (*file) context.config_path = *file;
    action = [&context, quiet] {
      const auto loaded = context.load_config();
      if (!*quiet) {
        // describe() masks the secret keys; masking the whole text as well catches a password
        // in the URL of a key that is not secret (rtus.url = "http://user:password@host").
        fmt::print("# {}: valid\n{}", loaded.path().value_or("built-in defaults"),
                   config::mask_secrets(loaded.describe()));
      }
      return exit_code::ok;
    };
  });
}

}  // namespace tapedeck::app
