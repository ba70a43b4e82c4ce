// `tapedeck rtus-recorder`: the stand-in RTUS for demos and tests.
#include <fmt/format.h>

#include "app/cli.hpp"
#include "core/exit_codes.hpp"
#include "core/log.hpp"
#include "core/stop.hpp"
#include "rtus/recorder.hpp"

namespace tapedeck::app {

void add_rtus_recorder_command(CLI::App& app, Context& context, Action& action) {
  struct Options {
    std::string listen = "127.0.0.1:8090";
    std::string journal;
  };
  auto options = std::make_shared<Options>();
  auto* command = app.add_subcommand("rtus-recorder",
                                     "accept any HTTP call and record it (GET /calls lists them)");
  command->add_option("--listen", options->listen, "host:port to serve on");
  command->add_option("--out", options->journal, "append each call as a JSON line to this file");
  command->callback([&context, &action, options] {
    action = [&context, options] {
      context.load_config();
      rtus::Recorder recorder(options->listen, options->journal.empty()
                                                   ? std::nullopt
                                                   : std::optional(options->journal));
      recorder.start();
      log::get("rtus-recorder")->info("recording calls on {}", options->listen);
      while (!stop::wait_for(std::chrono::seconds(1))) {
      }
      log::get("rtus-recorder")->info("stopping after {} calls", recorder.calls().size());
      return exit_code::ok;
    };
  });
}

}  // namespace tapedeck::app
