// `tapedeck session init|start|pause|resume|end|show|list|watch` and `tapedeck snapshots`:
// clients of the replaymgr REST API (replaymgr.url, the token of replaymgr/api_token.hpp,
// replaymgr.tls_ca).
#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "app/cli.hpp"
#include "core/error.hpp"
#include "core/exit_codes.hpp"
#include "core/session.hpp"
#include "core/stop.hpp"
#include "replaymgr/api_client.hpp"

namespace tapedeck::app {

namespace {

replaymgr::ApiClient api_client(const Context& context) {
  return replaymgr::ApiClient::from_config(context.load_config());
}

void print(const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}

// Prints the session as JSON or for a person, and a warning the server gave on stderr.
void print_session(const nlohmann::json& session, bool json) {
  if (session.contains("warning") && session["warning"].is_string()) {
    std::fprintf(stderr, "tapedeck: warning: %s\n", session["warning"].get<std::string>().c_str());
  }
  print(json ? session.dump(2) + "\n" : replaymgr::describe_session(session));
}

// Runs `body`; a refused request prints the server's reason and gives exit code 1.
template <typename Body>
int failed_on_error(Body&& body) {
  try {
    return body();
  } catch (const Error& error) {
    std::fprintf(stderr, "tapedeck: %s\n", error.what());
    return exit_code::failed;
  }
}

struct InitOptions {
  std::string start;
  std::string end;
  std::string speed = "1";
  std::string name;
  bool json = false;
};

}  // namespace

void add_session_command(CLI::App& app, Context& context, Action& action) {
  auto* session =
      app.add_subcommand("session", "playback sessions through the replaymgr API (replaymgr.url)");
  session->require_subcommand(1);

  auto init = std::make_shared<InitOptions>();
  auto* init_command = session->add_subcommand(
      "init", "create a session: restore the snapshot before START, catch up to START");
  init_command->add_option("--start", init->start, "ISO 8601 time, e.g. 2026-01-01T10:00:00Z")
      ->required();
  init_command->add_option("--end", init->end, "ISO 8601 time after --start")->required();
  init_command->add_option("--speed", init->speed, "a positive factor or max")
      ->capture_default_str();
  init_command->add_option("--name", init->name, "a label for people");
  init_command->add_flag("--json", init->json, "print the session as a JSON object");
  init_command->callback([&context, &action, init] {
    action = [&context, init] {
      return failed_on_error([&] {
        // The speed is checked here by the same rule the API and msgop apply (core/speed.hpp),
        // so a bad one is refused before anything is sent; the server validates the rest.
        const auto speed = session::Speed::parse(init->speed);
        nlohmann::json body = {{"start", init->start}, {"end", init->end}, {"speed", speed.str()}};
        if (!init->name.empty()) body["name"] = init->name;
        auto client = api_client(context);
        print_session(client.post("/api/sessions", body), init->json);
        return exit_code::ok;
      });
    };
  });

  // start|pause|resume|end|show ID [--json]
  for (const char* verb : {"start", "pause", "resume", "end", "show"}) {
    const std::string name = verb;
    const char* help = name == "start"    ? "start paced replay of a ready session"
                       : name == "pause"  ? "pause a playing session at a transaction boundary"
                       : name == "resume" ? "resume a paused session"
                       : name == "end"    ? "end a session (its database is dropped by config)"
                                          : "show a session";
    auto id = std::make_shared<std::string>();
    auto json = std::make_shared<bool>(false);
    auto* command = session->add_subcommand(name, help);
    command->add_option("id", *id, "the session id")->required();
    command->add_flag("--json", *json, "print the session as a JSON object");
    command->callback([&context, &action, name, id, json] {
      action = [&context, name, id, json] {
        return failed_on_error([&] {
          auto client = api_client(context);
          const auto path = "/api/sessions/" + *id;
          print_session(name == "show" ? client.get(path) : client.post(path + "/" + name), *json);
          return exit_code::ok;
        });
      };
    });
  }

  auto list_json = std::make_shared<bool>(false);
  auto* list = session->add_subcommand("list", "every session, oldest first");
  list->add_flag("--json", *list_json, "a JSON array instead of a table");
  list->callback([&context, &action, list_json] {
    action = [&context, list_json] {
      return failed_on_error([&] {
        auto client = api_client(context);
        const auto sessions = client.get("/api/sessions");
        print(*list_json ? sessions.dump(2) + "\n" : replaymgr::sessions_table(sessions));
        return exit_code::ok;
      });
    };
  });

  auto watch_id = std::make_shared<std::string>();
  auto* watch = session->add_subcommand(
      "watch", "a live progress line, refreshed every second, until the session ends or fails");
  watch->add_option("id", *watch_id, "the session id")->required();
  watch->callback([&context, &action, watch_id] {
    action = [&context, watch_id] {
      return failed_on_error([&] {
        auto client = api_client(context);
        const bool terminal_output = isatty(fileno(stdout)) != 0;
        for (;;) {
          const auto session = client.get("/api/sessions/" + *watch_id);
          const auto state = session::parse_state(session.value("state", std::string()))
                                 .value_or(session::State::initializing);
          const auto line = replaymgr::progress_line(session);
          if (session::is_terminal(state)) {
            print(terminal_output ? "\r\033[K" + line + "\n" : line + "\n");
            print(fmt::format("session {} {}\n", *watch_id, session::to_string(state)));
            return state == session::State::ended ? 0 : 1;
          }
          // On a terminal the line is rewritten in place; in a pipe, one line per second.
          print(terminal_output ? "\r\033[K" + line : line + "\n");
          if (stop::wait_for(std::chrono::seconds(1))) {
            if (terminal_output) print("\n");
            return exit_code::ok;
          }
        }
      });
    };
  });

  auto snapshots_json = std::make_shared<bool>(false);
  auto* snapshots =
      app.add_subcommand("snapshots", "the snapshots sessions can start from, oldest first");
  snapshots->add_flag("--json", *snapshots_json, "a JSON array instead of a table");
  snapshots->callback([&context, &action, snapshots_json] {
    action = [&context, snapshots_json] {
      return failed_on_error([&] {
        auto client = api_client(context);
        const auto backups = client.get("/api/snapshots");
        if (*snapshots_json) {
          print(backups.dump(2) + "\n");
          return exit_code::ok;
        }
        std::string text = fmt::format("{:<6} {:<28} {:<28} {:<14} {}\n", "ID", "CREATED",
                                       "SYSTEM TIME", "LSN", "OBJECT");
        for (const auto& backup : backups) {
          const auto field = [&](const char* key) {
            const auto found = backup.find(key);
            if (found == backup.end() || found->is_null()) return std::string("-");
            return found->is_string() ? found->get<std::string>() : found->dump();
          };
          text += fmt::format("{:<6} {:<28} {:<28} {:<14} {}\n", field("id"), field("created_at"),
                              field("system_time"), field("lsn"), field("object_key"));
        }
        print(text);
        return exit_code::ok;
      });
    };
  });
}

}  // namespace tapedeck::app
