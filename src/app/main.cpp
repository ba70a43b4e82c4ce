// tapedeck: one binary, one subcommand per component. main only hands over.
#include "app/cli.hpp"

int main(int argc, char** argv) {
  return tapedeck::app::run(argc, argv);
}
