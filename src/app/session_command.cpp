// `tapedeck session init|start|pause|resume|end|show|list|watch|events` and `tapedeck snapshots`:
// clients of the replaymgr REST API (replaymgr.url, the token of replaymgr/api_token.hpp,
// replaymgr.tls_ca).
#include <fmt/format.h>
#include <sys/ioctl.h>
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
#include "replaymgr/request.hpp"

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
  bool wait = false;
};

// The terminal's width in columns, or 0 when stdout is not a terminal (plain lines then).
int terminal_width() {
  if (isatty(fileno(stdout)) == 0) return 0;
  winsize size{};
  if (ioctl(fileno(stdout), TIOCGWINSZ, &size) != 0 || size.ws_col == 0) return 80;
  return size.ws_col;
}

// Follows a session once a second, drawing its phase progress (a bar with ETA in place on a
// terminal, plain lines otherwise), until `done` says so or it ends or fails. Returns the
// session as last read.
template <typename Done>
nlohmann::json follow(replaymgr::ApiClient& client, const std::string& id, Done&& done) {
  for (;;) {
    const int width = terminal_width();
    auto session = client.get("/api/sessions/" + id);
    const auto state = session::parse_state(session.value("state", std::string()))
                           .value_or(session::State::initializing);
    std::string line = replaymgr::phase_line(session, width);
    if (width > 0 && static_cast<int>(line.size()) >= width) {
      line.resize(static_cast<std::size_t>(width - 1));
    }
    const bool finished = session::is_terminal(state) || done(state);
    if (finished || width == 0) {
      print(width > 0 ? "\r\033[K" + line + "\n" : line + "\n");
      if (finished) return session;
    } else {
      print("\r\033[K" + line);
    }
    if (stop::wait_for(std::chrono::seconds(1))) {
      if (width > 0) print("\n");
      return session;
    }
  }
}

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
  init_command->add_option("--end", init->end,
                           "ISO 8601 time after --start; none: a point-in-time session (it "
                           "stays ready at START; started, it follows the recording)");
  init_command->add_option("--speed", init->speed, "a positive factor or max")
      ->capture_default_str();
  init_command->add_option("--name", init->name, "a label for people");
  init_command->add_flag("--json", init->json, "print the session as a JSON object");
  init_command->add_flag("--wait", init->wait,
                         "follow the restore and catch-up with a progress bar until the session "
                         "is ready (exit 1 when it fails)");
  init_command->callback([&context, &action, init] {
    action = [&context, init] {
      return failed_on_error([&] {
        // The speed is checked here by the same rule the API and msgop apply (core/speed.hpp),
        // so a bad one is refused before anything is sent; the server validates the rest.
        const auto speed = session::Speed::parse(init->speed);
        nlohmann::json body = {{"start", init->start}, {"speed", speed.str()}};
        if (!init->end.empty()) body["end"] = init->end;
        if (!init->name.empty()) body["name"] = init->name;
        auto client = api_client(context);
        auto created = client.post("/api/sessions", body);
        if (!init->wait) {
          print_session(created, init->json);
          return exit_code::ok;
        }
        if (!init->json) print(fmt::format("session {}\n", created.value("id", std::string())));
        const auto session =
            follow(client, created.value("id", std::string()),
                   [](session::State state) { return state == session::State::ready; });
        if (init->json) print_session(session, true);
        return session.value("state", std::string()) == "ready" ? exit_code::ok : exit_code::failed;
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

  auto events_id = std::make_shared<std::string>();
  auto events_limit = std::make_shared<int>(replaymgr::kDefaultEventsLimit);
  auto events_json = std::make_shared<bool>(false);
  auto events_quiet = std::make_shared<bool>(false);
  auto* events = session->add_subcommand(
      "events", "a session's recent events (init, start, pause, progress, ...), newest last");
  events->add_option("id", *events_id, "the session id")->required();
  events->add_option("--limit", *events_limit, "how many of the newest events")
      ->check(CLI::Range(1, replaymgr::kMaxEventsLimit));
  events->add_flag("--json", *events_json, "the API's JSON object instead of lines");
  events->add_flag("--no-progress", *events_quiet,
                   "leave out the progress events: commands and state changes only");
  events->callback([&context, &action, events_id, events_limit, events_json, events_quiet] {
    action = [&context, events_id, events_limit, events_json, events_quiet] {
      return failed_on_error([&] {
        auto client = api_client(context);
        const auto answer =
            client.get(fmt::format("/api/sessions/{}/events?limit={}{}", *events_id, *events_limit,
                                   *events_quiet ? "&progress=false" : ""));
        print(*events_json ? answer.dump(2) + "\n" : replaymgr::events_text(answer));
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
        const auto session = follow(client, *watch_id, [](session::State) { return false; });
        const auto state = session::parse_state(session.value("state", std::string()))
                               .value_or(session::State::initializing);
        if (!session::is_terminal(state)) return exit_code::ok;  // interrupted
        print(fmt::format("session {} {}\n", *watch_id, session::to_string(state)));
        return state == session::State::ended ? 0 : 1;
      });
    };
  });

  // seek ID TIME, speed ID FACTOR|max, step ID [N]: the transport (docs/api.md).
  struct TransportOptions {
    std::string id;
    std::string value;
    std::int64_t count = 1;
    bool json = false;
  };
  const auto transport = [&](const char* name, const char* help, const char* value_name,
                             const char* value_help) {
    auto options = std::make_shared<TransportOptions>();
    auto* command = session->add_subcommand(name, help);
    command->add_option("id", options->id, "the session id")->required();
    if (value_name != nullptr) {
      command->add_option(value_name, options->value, value_help)->required();
    } else {
      command->add_option("count", options->count, "transactions to apply (default 1)");
    }
    command->add_flag("--json", options->json, "print the session as a JSON object");
    const std::string verb = name;
    command->callback([&context, &action, options, verb] {
      action = [&context, options, verb] {
        return failed_on_error([&] {
          nlohmann::json body;
          if (verb == "seek") {
            body = {{"to", options->value}};
          } else if (verb == "speed") {
            // The one speed rule (core/speed.hpp), before anything is sent.
            body = {{"speed", session::Speed::parse(options->value).str()}};
          } else {
            body = {{"count", options->count}};
          }
          auto client = api_client(context);
          print_session(client.post("/api/sessions/" + options->id + "/" + verb, body),
                        options->json);
          return exit_code::ok;
        });
      };
    });
  };
  transport("seek", "move a ready, playing or paused session to another recorded moment", "time",
            "ISO 8601 time, e.g. 2026-01-01T10:30:00Z");
  transport("speed", "change the speed of a ready, playing or paused session", "speed",
            "a positive factor (0.25, 2) or max");
  transport("step", "apply the next transactions of a paused session and stay paused", nullptr,
            nullptr);

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
