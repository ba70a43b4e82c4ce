// The long-running components, by name: what `tapedeck <component>` and `tapedeck run` start.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/config.hpp"

namespace tapedeck::app {

// A component runs until the stop flag is set and returns its exit code; it retries what is
// transient itself and throws Error for what it cannot. Several run as threads of one process.
struct Component {
  std::string name;
  std::function<int(const config::Config&)> run;
};

std::optional<Component> find_component(std::string_view name);
// Builds component `name` (one of component_names()) from `config` and runs it: the one place
// each component is constructed, for its own subcommand and for `tapedeck run`.
int run_component(std::string_view name, const config::Config& config);
std::vector<std::string> component_names();

}  // namespace tapedeck::app
