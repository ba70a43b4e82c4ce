// tapedeck: parse the command line and hand over to the chosen command.
#include <CLI/CLI.hpp>

#include <cstdio>

#include "core/error.hpp"

int main(int argc, char** argv) {
  CLI::App app{"tapedeck: record a live PostgreSQL database and play it back at any past moment"};
  app.require_subcommand(1);
  CLI11_PARSE(app, argc, argv);
  return 0;
}
