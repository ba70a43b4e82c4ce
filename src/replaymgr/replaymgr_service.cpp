// The replaymgr service: REST routes, session commands as events, the stale-worker reaper.
#include "replaymgr/replaymgr_service.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/backups/backup_record.hpp"
#include "core/backups/verification_record.hpp"
#include "core/error.hpp"
#include "core/exit_codes.hpp"
#include "core/log.hpp"
#include "core/pg/dsn.hpp"
#include "core/pg/params.hpp"
#include "core/recording/activity.hpp"
#include "core/recording/watermarks_table.hpp"
#include "core/schema/live_schema.hpp"
#include "core/schema/store_schema.hpp"
#include "core/service/observability_server.hpp"
#include "core/sessions/session_database.hpp"
#include "core/sessions/session_events.hpp"
#include "core/sessions/session_store.hpp"
#include "core/stop.hpp"
#include "replaymgr/console_assets.hpp"
#include "replaymgr/recording.hpp"
#include "replaymgr/request.hpp"
#include "replaymgr/timeline.hpp"

namespace tapedeck::replaymgr {

namespace {

constexpr std::string_view kLogger = "replaymgr";
// How far back ended sessions' databases are looked for.
constexpr std::chrono::hours kEndedWindow{24 * 7};

nats::ConnectOptions connect_options(const ReplaymgrSettings& settings) {
  nats::ConnectOptions options;
  options.url = settings.nats_url;
  options.name = "tapedeck-replaymgr";
  // An API without NATS still answers and changes rows (msgop polls them); keep connecting.
  options.retry_on_failed_connect = true;
  return options;
}

http::ServerResponse json_response(int status, const nlohmann::json& body) {
  return http::ServerResponse::json(status, body.dump());
}

struct Command {
  std::string_view name;
  session::Transition transition;
};
constexpr Command kCommands[] = {
    {"start", session::Transition::start},
    {"pause", session::Transition::pause},
    {"resume", session::Transition::resume},
    {"end", session::Transition::end},
};

}  // namespace

ReplaymgrSettings ReplaymgrSettings::from_config(const config::Config& config) {
  ReplaymgrSettings settings;
  settings.listen = config.string("replaymgr.listen");
  settings.console_listen = config.string("replaymgr.console_listen");
  settings.security.tls_cert = config.string("replaymgr.tls_cert");
  settings.security.tls_key = config.string("replaymgr.tls_key");
  if (settings.security.tls_cert.empty() != settings.security.tls_key.empty()) {
    throw Error(ErrorSource::config, Recovery::invalid,
                "replaymgr.tls_cert and replaymgr.tls_key go together: set both to serve "
                "HTTPS, or neither");
  }
  settings.security.max_body_bytes = kMaxRequestBytes;
  settings.token = server_token(config);
  settings.store_dsn = config.string("store.dsn");
  settings.live_dsn = config.string("live.dsn");
  settings.playback_dsn = config.string("playback.dsn");
  settings.database_template = config.string("playback.database_template");
  settings.nats_url = config.string("nats.url");
  settings.worker_timeout = config.duration("replaymgr.worker_timeout");
  settings.drop_on_end = config.boolean("playback.drop_on_end");
  settings.drop_grace = config.duration("replaymgr.drop_grace");
  settings.session_retention = config.duration("replaymgr.session_retention");
  settings.idle_expiry = config.duration("replaymgr.idle_expiry");
  settings.watermark_name = config.string("nats.cdc_stream");
  if (settings.worker_timeout <= std::chrono::milliseconds::zero()) {
    throw Error(ErrorSource::config, Recovery::invalid,
                "replaymgr.worker_timeout must be positive, e.g. 10s");
  }
  if (settings.session_retention > std::chrono::milliseconds::zero() && settings.drop_on_end &&
      settings.session_retention <= settings.drop_grace) {
    // The sweep finds an ended session's leftover database through its row.
    throw Error(ErrorSource::config, Recovery::invalid,
                "replaymgr.session_retention must be longer than replaymgr.drop_grace (or 0 to "
                "keep session rows), e.g. 7d");
  }
  settings.config = std::make_shared<const config::Config>(config);
  return settings;
}

ReplaymgrService::ReplaymgrService(ReplaymgrSettings settings)
    : settings_(std::move(settings)),
      store_(settings_.store_dsn, "tapedeck-replaymgr",
             [](pg::Connection& store) { schema::migrate_store(store); }),
      live_(settings_.live_dsn, "tapedeck-replaymgr",
            [](pg::Connection& live) { schema::migrate_live(live); }),
      playback_(settings_.playback_dsn, "tapedeck-replaymgr"),
      nats_(connect_options(settings_)),
      jetstream_(nats_) {}

ReplaymgrService::~ReplaymgrService() = default;

int ReplaymgrService::run() {
  auto logger = log::get(std::string(kLogger));
  service::ServerOptions serving{settings_.listen};
  serving.security = settings_.security;
  // Where the token is, never the token itself.
  const std::string access = settings_.token.token.empty()
                                 ? " with no API token (replaymgr.open: every client is trusted)"
                                 : fmt::format(" (bearer token from {})", settings_.token.origin);
  serving.about = fmt::format(" and the REST API under /api{}; worker timeout {} ms", access,
                              settings_.worker_timeout.count());
  serving.add_routes = [this](http::Server& server) { add_api_routes(server); };
  const service::ObservabilityServer server(*logger, std::move(serving), metrics_,
                                            [this] { return health_.get(); });
  // Stopped before the API's server: declared after it.
  const auto console = start_console();

  do {
    tick();
  } while (!stop::wait_for(std::chrono::seconds(1)));
  logger->info("replaymgr: stopped");
  return exit_code::ok;
}

void ReplaymgrService::add_api_routes(http::Server& server) {
  const auto route =
      [&](const char* method, const char* pattern,
          http::ServerResponse (ReplaymgrService::*handler)(const http::ServerRequest&)) {
        server.route(method, pattern, [this, handler](const http::ServerRequest& request) {
          return handle(request, handler);
        });
      };
  route("POST", R"(/api/sessions)", &ReplaymgrService::create_session);
  route("GET", R"(/api/sessions)", &ReplaymgrService::list_sessions);
  route("POST", R"(/api/sessions/([^/]+)/(start|pause|resume|end))",
        &ReplaymgrService::command_session);
  route("POST", R"(/api/sessions/([^/]+)/seek)", &ReplaymgrService::seek_session);
  route("POST", R"(/api/sessions/([^/]+)/speed)", &ReplaymgrService::speed_session);
  route("POST", R"(/api/sessions/([^/]+)/step)", &ReplaymgrService::step_session);
  route("GET", R"(/api/sessions/([^/]+))", &ReplaymgrService::get_session);
  route("GET", R"(/api/sessions/([^/]+)/events)", &ReplaymgrService::session_events);
  route("GET", R"(/api/snapshots)", &ReplaymgrService::list_snapshots);
  route("GET", R"(/api/recording)", &ReplaymgrService::get_recording);
  route("GET", R"(/api/verifications)", &ReplaymgrService::list_verifications);
  route("GET", R"(/api/timeline)", &ReplaymgrService::get_timeline);
  route("*", R"(/api(/.*)?)", &ReplaymgrService::unknown_route);
}

std::unique_ptr<http::Server> ReplaymgrService::start_console() {
  if (settings_.console_listen.empty()) return nullptr;
  auto server = std::make_unique<http::Server>(settings_.console_listen, settings_.security);
  add_api_routes(*server);
  // The page and its scripts hold no data and no secret, so they are served without the token;
  // everything they show comes from /api, which asks for it (docs/api.md, "The web console").
  server->route("GET", R"(/([A-Za-z0-9._-]*))", [](const http::ServerRequest& request) {
    const auto& name = request.matches.at(1);
    const auto* asset = find_console_asset(name.empty() ? "index.html" : name);
    if (asset == nullptr) {
      return http::ServerResponse::text(404, fmt::format("no console file {}\n", request.path));
    }
    http::ServerResponse response;
    response.content_type = std::string(asset->content_type);
    response.body = std::string(asset->bytes);
    // Only the console's own files and API: no inline script, no other origin, no framing.
    response.headers = {
        {"Content-Security-Policy",
         "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; "
         "form-action 'self'"},
        {"X-Content-Type-Options", "nosniff"},
        {"Referrer-Policy", "no-referrer"},
        {"Cache-Control", "no-cache"},
    };
    return response;
  });
  server->start();
  log::get(std::string(kLogger))
      ->info("serving the web console on {}://{}:{}/", server->tls() ? "https" : "http",
             server->host(), server->port());
  return server;
}

void ReplaymgrService::tick() {
  auto logger = log::get(std::string(kLogger));
  if (!events_stream_ready_.load()) {
    try {
      session::ensure_events_stream(jetstream_, *settings_.config);
      events_stream_ready_ = true;
    } catch (const Error& error) {
      // Not fatal: commands still change the rows; their events carry a warning meanwhile.
      logger->debug("EVENTS stream not ready yet: {}", error.what());
    }
  }
  try {
    const auto stale = store_.with([&](pg::Connection& store) {
      return session::Store(store).fail_stale(settings_.worker_timeout);
    });
    for (const auto& record : stale) {
      metrics_
          .counter("tapedeck_replaymgr_stale_sessions_failed_total",
                   "sessions failed because their worker stopped reporting")
          .inc();
      logger->warn("session {} failed: {}", record.id, record.error);
      publish(record, "failed", {{"reason", record.error}});
    }
    const auto counts = store_.with([](pg::Connection& store) { return sessions_by_state(store); });
    for (int state = 0; state <= static_cast<int>(session::State::failed); ++state) {
      const auto name = std::string(session::to_string(static_cast<session::State>(state)));
      const auto found = counts.find(name);
      metrics_
          .gauge("tapedeck_replaymgr_sessions", "sessions in tapedeck.sessions by state",
                 {{"state", name}})
          .set(found == counts.end() ? 0.0 : static_cast<double>(found->second));
    }
    refresh_recording_gauges();
    refresh_verifications();
    if (settings_.drop_on_end && std::chrono::steady_clock::now() >= next_sweep_) {
      next_sweep_ = std::chrono::steady_clock::now() + settings_.drop_grace / 2;
      drop_ended_databases();
    }
    if (settings_.idle_expiry > std::chrono::milliseconds::zero()) expire_idle_sessions();
    if (settings_.session_retention > std::chrono::milliseconds::zero() &&
        std::chrono::steady_clock::now() >= next_purge_) {
      next_purge_ = std::chrono::steady_clock::now() +
                    std::min<std::chrono::milliseconds>(std::chrono::minutes(1),
                                                        settings_.session_retention / 2);
      const auto purged = store_.with([this](pg::Connection& store) {
        return session::Store(store).purge_ended(settings_.session_retention);
      });
      if (purged > 0) {
        metrics_
            .counter("tapedeck_replaymgr_sessions_purged_total",
                     "rows of sessions ended over replaymgr.session_retention ago, deleted")
            .inc(static_cast<std::uint64_t>(purged));
        logger->info("purged {} session(s) ended over the retention ago", purged);
      }
    }
    if (health_.healthy()) logger->info("session store reachable again");
  } catch (const std::exception& error) {
    if (health_.failing(fmt::format("session store: {}", error.what()))) {
      logger->error("reaper: cannot check sessions (retrying every second): {}", error.what());
    }
  }
}

void ReplaymgrService::expire_idle_sessions() {
  const auto expired = store_.with([this](pg::Connection& store) {
    return session::Store(store).expire_idle(settings_.idle_expiry);
  });
  for (const auto& record : expired) {
    metrics_
        .counter("tapedeck_replaymgr_sessions_expired_total",
                 "sessions ended by replaymgr.idle_expiry")
        .inc();
    log::get(std::string(kLogger))->info("session {}: {}", record.id, record.error);
    // The `end` a client would send: msgop lets the session go and drops its database.
    publish(record, "end", {{"state", "ended"}, {"reason", record.error}});
  }
}

void ReplaymgrService::drop_ended_databases() {
  auto logger = log::get(std::string(kLogger));
  const auto ended = store_.with([this](pg::Connection& store) {
    return session::Store(store).ended_databases(kEndedWindow, settings_.drop_grace);
  });
  if (ended.empty()) return;
  playback_.with([&](pg::Connection& playback) {
    for (const auto& name : session::existing_databases(playback, ended)) {
      session::drop_database_if_exists(playback, name);
      metrics_
          .counter("tapedeck_replaymgr_ended_databases_dropped_total",
                   "databases of ended sessions dropped by replaymgr's sweep")
          .inc();
      logger->info("dropped database {}: its session ended and nobody else had dropped it", name);
    }
  });
}

http::ServerResponse ReplaymgrService::handle(
    const http::ServerRequest& request,
    http::ServerResponse (ReplaymgrService::*handler)(const http::ServerRequest&)) {
  http::ServerResponse response;
  if (!authorized(request.header("Authorization"), settings_.token.token)) {
    // Names the keys, not the token file's path: the caller is not trusted yet.
    response = json_response(401, {{"error",
                                    "missing or wrong bearer token: send 'Authorization: Bearer "
                                    "<token>', the token of replaymgr.api_token or of the file "
                                    "replaymgr.token_file"}});
    response.headers.emplace_back("WWW-Authenticate", "Bearer");
  } else {
    try {
      response = (this->*handler)(request);
    } catch (const Error& error) {
      const int status = status_for(error.recovery());
      if (status >= 500) {
        log::get(std::string(kLogger))
            ->error("{} {} failed: {}", request.method, request.path, error.what());
      }
      response = json_response(status, {{"error", error.what()}});
    } catch (const std::exception& error) {
      log::get(std::string(kLogger))
          ->error("{} {} failed: {}", request.method, request.path, error.what());
      response = json_response(500, {{"error", fmt::format("internal error: {}", error.what())}});
    }
  }
  metrics_
      .counter("tapedeck_replaymgr_api_requests_total", "REST API requests by response status",
               {{"status", std::to_string(response.status)}})
      .inc();
  return response;
}

nlohmann::json ReplaymgrService::session_json(const session::Record& record,
                                              const session::RestoreQueue* queue) {
  auto json = record.to_json();
  json["queue"] = nullptr;
  if (record.state == session::State::initializing) {
    std::optional<session::RestoreQueue> read;
    if (queue == nullptr) {
      read =
          store_.with([](pg::Connection& store) { return session::Store(store).restore_queue(); });
      queue = &*read;
    }
    json["queue"] = {{"position", queue->position_of(record.id)}, {"restoring", queue->restoring}};
  }
  // No password: a client connects with its own credentials (~/.pgpass, PGPASSWORD).
  json["database_dsn"] =
      pg::with_dbname_without_secrets(settings_.playback_dsn, record.database_name);
  const auto start_us = record.start.time_since_epoch().count();
  const std::lock_guard lock(verified_mutex_);
  json["verified"] = std::any_of(verified_windows_.begin(), verified_windows_.end(),
                                 [&](const auto& window) { return window.covers(start_us); });
  return json;
}

std::string ReplaymgrService::publish(const session::Record& record, std::string_view event,
                                      nlohmann::json fields) {
  // One message id per state change: a retried publish of the same change is a duplicate,
  // a later pause of the same session is not.
  const auto msg_id =
      fmt::format("{}.{}.{}", record.id, event, record.updated_at.time_since_epoch().count());
  try {
    session::publish_event(jetstream_, record.id, event, std::move(fields), msg_id);
    return {};
  } catch (const Error& error) {
    metrics_
        .counter("tapedeck_replaymgr_event_publish_failures_total",
                 "session events that could not be published (the row was changed)")
        .inc();
    auto warning = fmt::format(
        "the session row is {} but its '{}' event could not be published ({}); the workers "
        "still see the change when they next read the row",
        session::to_string(record.state), event, error.what());
    log::get(std::string(kLogger))->warn("session {}: {}", record.id, warning);
    return warning;
  }
}

http::ServerResponse ReplaymgrService::create_session(const http::ServerRequest& request) {
  const auto parsed = parse_create_request(request.body);
  const auto bounds = store_.with([&](pg::Connection& store) {
    return live_.with(
        [&](pg::Connection& live) { return recording_bounds(store, live, parsed.start); });
  });
  if (const auto refusal = check_against_recording(parsed, bounds)) {
    return json_response(refusal->status, {{"error", refusal->reason}});
  }
  session::NewSession new_session;
  new_session.name = parsed.name;
  new_session.start = parsed.start;
  new_session.end = parsed.end;
  new_session.speed = parsed.speed;
  new_session.database_template = settings_.database_template;
  const auto record =
      store_.with([&](pg::Connection& store) { return session::Store(store).create(new_session); });
  const std::string end = record.end ? session::format_time(*record.end) : "(point in time)";
  log::get(std::string(kLogger))
      ->info("session {} created: {} .. {} at speed {}, database {}", record.id,
             session::format_time(record.start), end, record.speed.str(), record.database_name);
  auto json = session_json(record);
  const auto warning = publish(record, "init",
                               {{"name", record.name},
                                {"start", session::format_time(record.start)},
                                {"end", json["end"]},
                                {"speed", record.speed.str()},
                                {"database_name", record.database_name}});
  if (!warning.empty()) json["warning"] = warning;
  return json_response(201, json);
}

http::ServerResponse ReplaymgrService::command_session(const http::ServerRequest& request) {
  const auto& id = request.matches.at(1);
  const auto& name = request.matches.at(2);
  if (!session::valid_session_id(id)) {
    throw Error(ErrorSource::input, Recovery::not_found,
                fmt::format("no session '{}'; `tapedeck session list` shows the sessions", id));
  }
  const auto* command = std::find_if(std::begin(kCommands), std::end(kCommands),
                                     [&](const Command& each) { return each.name == name; });
  const auto record = store_.with([&](pg::Connection& store) {
    return session::Store(store).transition(id, command->transition);
  });
  log::get(std::string(kLogger))
      ->info("session {}: {} -> {}", id, name, session::to_string(record.state));
  auto json = session_json(record);
  const auto warning =
      publish(record, command->name, {{"state", session::to_string(record.state)}});
  if (!warning.empty()) json["warning"] = warning;
  return json_response(200, json);
}

namespace {

const std::string& session_id_of(const http::ServerRequest& request) {
  const auto& id = request.matches.at(1);
  if (!session::valid_session_id(id)) {
    throw Error(ErrorSource::input, Recovery::not_found,
                fmt::format("no session '{}'; `tapedeck session list` shows the sessions", id));
  }
  return id;
}

}  // namespace

http::ServerResponse ReplaymgrService::seek_session(const http::ServerRequest& request) {
  const auto& id = session_id_of(request);
  const auto to = parse_seek_request(request.body);
  const auto current =
      store_.with([&](pg::Connection& store) { return session::Store(store).get(id); });
  // The same bounds as a new session's start (check_against_recording), read for `to`.
  const auto bounds = store_.with([&](pg::Connection& store) {
    return live_.with([&](pg::Connection& live) { return recording_bounds(store, live, to); });
  });
  if (const auto refusal = check_seek_against_recording(to, current.end, bounds)) {
    return json_response(refusal->status, {{"error", refusal->reason}});
  }
  const auto record =
      store_.with([&](pg::Connection& store) { return session::Store(store).seek(id, to); });
  log::get(std::string(kLogger))
      ->info("session {}: seek to {} from {}", id, session::format_time(to),
             session::to_string(record.seek->resume_state));
  auto json = session_json(record);
  const auto warning = publish(record, "seek",
                               {{"state", "seeking"},
                                {"to", session::format_time(to)},
                                {"resume_state", session::to_string(record.seek->resume_state)}});
  if (!warning.empty()) json["warning"] = warning;
  return json_response(200, json);
}

http::ServerResponse ReplaymgrService::speed_session(const http::ServerRequest& request) {
  const auto& id = session_id_of(request);
  const auto speed = parse_speed_request(request.body);
  const auto record = store_.with(
      [&](pg::Connection& store) { return session::Store(store).set_speed(id, speed); });
  log::get(std::string(kLogger))->info("session {}: speed {}", id, speed.str());
  auto json = session_json(record);
  const auto warning = publish(record, "speed", {{"speed", speed.str()}});
  if (!warning.empty()) json["warning"] = warning;
  return json_response(200, json);
}

http::ServerResponse ReplaymgrService::step_session(const http::ServerRequest& request) {
  using namespace std::chrono_literals;
  const auto& id = session_id_of(request);
  const auto count = parse_step_request(request.body);
  auto record = store_.with(
      [&](pg::Connection& store) { return session::Store(store).request_steps(id, count); });
  log::get(std::string(kLogger))->info("session {}: step {}", id, count);
  const auto warning = publish(record, "step", {{"count", count}});
  // msgop applies the steps within moments; answering once they are applied lets the caller
  // see the moment reached. A slow msgop gets the row as it is (steps_pending > 0).
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (record.steps_pending > 0 && record.state == session::State::paused &&
         std::chrono::steady_clock::now() < deadline && !stop::requested()) {
    stop::wait_for(50ms);
    record = store_.with([&](pg::Connection& store) { return session::Store(store).get(id); });
  }
  auto json = session_json(record);
  if (!warning.empty()) json["warning"] = warning;
  return json_response(200, json);
}

http::ServerResponse ReplaymgrService::get_session(const http::ServerRequest& request) {
  const auto& id = request.matches.at(1);
  if (!session::valid_session_id(id)) {
    throw Error(ErrorSource::input, Recovery::not_found,
                fmt::format("no session '{}'; `tapedeck session list` shows the sessions", id));
  }
  const auto record =
      store_.with([&](pg::Connection& store) { return session::Store(store).get(id); });
  return json_response(200, session_json(record));
}

http::ServerResponse ReplaymgrService::session_events(const http::ServerRequest& request) {
  const auto& id = request.matches.at(1);
  const int limit = parse_events_limit(request.query_value("limit"));
  // ?progress=false: the session's commands and state changes without the periodic progress.
  const bool with_progress = request.query_value("progress") != "false";
  if (!session::valid_session_id(id)) {
    throw Error(ErrorSource::input, Recovery::not_found,
                fmt::format("no session '{}'; `tapedeck session list` shows the sessions", id));
  }
  // A known session (404 otherwise), so the id in the subject filter is a real one.
  (void)store_.with([&](pg::Connection& store) { return session::Store(store).get(id); });
  const auto events = session::read_session_events(
      jetstream_, settings_.config->string("nats.events_stream"), id,
      static_cast<std::size_t>(limit), with_progress, std::chrono::seconds(10));
  auto json = nlohmann::json::array();
  for (const auto& event : events) json.push_back(event.to_json());
  return json_response(200, {{"session_id", id}, {"events", std::move(json)}});
}

http::ServerResponse ReplaymgrService::list_sessions(const http::ServerRequest& request) {
  const bool include_terminal = request.query_value("active") != "true";
  const auto records = store_.with(
      [&](pg::Connection& store) { return session::Store(store).list(include_terminal); });
  std::optional<session::RestoreQueue> queue;
  if (std::any_of(records.begin(), records.end(), [](const session::Record& record) {
        return record.state == session::State::initializing;
      })) {
    queue =
        store_.with([](pg::Connection& store) { return session::Store(store).restore_queue(); });
  }
  auto json = nlohmann::json::array();
  for (const auto& record : records)
    json.push_back(session_json(record, queue ? &*queue : nullptr));
  return json_response(200, json);
}

http::ServerResponse ReplaymgrService::list_snapshots(const http::ServerRequest&) {
  const auto backups = live_.with([](pg::Connection& live) { return backups::list_backups(live); });
  return http::ServerResponse::json(200, backups::backups_to_json(backups));
}

http::ServerResponse ReplaymgrService::list_verifications(const http::ServerRequest&) {
  const auto verifications =
      live_.with([](pg::Connection& live) { return backups::list_verifications(live); });
  refresh_verifications();
  return http::ServerResponse::json(200, backups::verifications_to_json(verifications));
}

void ReplaymgrService::refresh_verifications() {
  auto [windows, latest] = live_.with([](pg::Connection& live) {
    return std::make_pair(backups::verified_windows(live), backups::list_verifications(live, 1));
  });
  {
    const std::lock_guard lock(verified_mutex_);
    verified_windows_ = std::move(windows);
  }
  const auto result = latest.empty() ? std::optional<backups::VerifyResult>{}
                                     : std::optional(latest.front().result);
  metrics_
      .gauge("tapedeck_verification_last_ok",
             "1 when the latest `tapedeck verify` verdict is ok, 0 when it diverged or failed, "
             "-1 when there is none")
      .set(!result                                ? -1.0
           : *result == backups::VerifyResult::ok ? 1.0
                                                  : 0.0);
  metrics_
      .gauge("tapedeck_verification_last_diverged_tables",
             "tables that differ in the latest verdict (0 when ok or failed)")
      .set(latest.empty() ? 0.0 : static_cast<double>(latest.front().tables.size()));
  const auto finished =
      latest.empty() ? std::nullopt : session::parse_time(latest.front().finished_at);
  metrics_
      .gauge("tapedeck_verification_last_timestamp_seconds",
             "Unix time the latest verdict was reached; 0 when there is none")
      .set(finished ? std::chrono::duration<double>(finished->time_since_epoch()).count() : 0.0);
}

http::ServerResponse ReplaymgrService::get_recording(const http::ServerRequest&) {
  return json_response(200, current_recording_lag().to_json());
}

http::ServerResponse ReplaymgrService::get_timeline(const http::ServerRequest& request) {
  const auto query = parse_timeline_request(request.query_value("from"), request.query_value("to"),
                                            request.query_value("buckets"));
  // One connection at a time: the slots are never held together.
  TimelineFacts facts;
  facts.span = store_.with([](pg::Connection& store) { return recording::recorded_span(store); });
  facts.recorded_until = store_.with([&](pg::Connection& store) {
    return recording::watermarks::recorded_until(store, settings_.watermark_name);
  });
  live_.with([&](pg::Connection& live) {
    facts.live_time = live_system_time(live);
    facts.backups = backups::list_backups(live);
  });
  const auto window = timeline_window(query, facts);
  recording::Activity activity;
  if (window) {
    activity = store_.with(
        [&](pg::Connection& store) { return recording::count_activity(store, *window); });
  }
  return json_response(200, timeline_json(facts, window, activity));
}

RecordingLag ReplaymgrService::current_recording_lag() {
  // One connection at a time: the slots are never held together.
  RecordingLag lag;
  store_.with([&](pg::Connection& store) {
    lag.recorded_until = recording::watermarks::recorded_until(store, settings_.watermark_name);
    for (const Lsn lsn : recording::watermarks::held(store, settings_.watermark_name)) {
      lag.held.push_back(lsn.str());
    }
  });
  lag.live_time = live_.with([](pg::Connection& live) { return live_system_time(live); });
  return lag;
}

// A lagging recording shows here before any session waits for it.
void ReplaymgrService::refresh_recording_gauges() {
  const auto lag = current_recording_lag();
  const auto seconds = [](const std::optional<session::Time>& time) {
    return time ? std::chrono::duration<double>(time->time_since_epoch()).count() : 0.0;
  };
  metrics_
      .gauge("tapedeck_recording_stored_until_seconds",
             "commit time (Unix seconds) up to which the stored recording is proven complete by "
             "transform's watermark; 0 when unknown")
      .set(seconds(lag.recorded_until));
  const auto behind = lag.lag();
  metrics_
      .gauge("tapedeck_recording_lag_seconds",
             "how far the stored recording trails the Live DB's system time; -1 when unknown")
      .set(behind ? std::chrono::duration<double>(*behind).count() : -1.0);
  metrics_
      .gauge("tapedeck_recording_held_transactions",
             "capture transactions stored with messages missing, before which transform holds "
             "the watermark until they arrive")
      .set(static_cast<double>(lag.held.size()));
}

http::ServerResponse ReplaymgrService::unknown_route(const http::ServerRequest& request) {
  return json_response(
      404,
      {{"error", fmt::format("no route {} {}; see docs/api.md", request.method, request.path)}});
}

}  // namespace tapedeck::replaymgr
