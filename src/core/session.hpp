// Playback sessions: the states, the legal transitions and the events on the EVENTS stream.
// The contract between replaymgr, dbop and msgop (DESIGN §3.4); pure, no I/O.
#pragma once

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/speed.hpp"

namespace tapedeck::session {

// `seeking`: moving a ready, playing or paused session to another moment; it returns to the
// state it came from (the sessions row keeps that state while seeking).
enum class State {
  initializing,
  restoring,
  catching_up,
  ready,
  playing,
  paused,
  seeking,
  ended,
  failed
};

std::string_view to_string(State state);
std::optional<State> parse_state(std::string_view text);
bool is_terminal(State state);  // ended, failed

// What moves a session. Commands come from the API; the rest from dbop and msgop.
enum class Transition {
  restore_begin,  // dbop took the init:          initializing -> restoring
  restore_ok,     // dbop restored the snapshot:  restoring -> catching_up
  catch_up_done,  // msgop reached the start:     catching_up -> ready
  start,          // command:                     ready -> playing
  pause,          // command:                     playing -> paused
  resume,         // command:                     paused -> playing
  seek,           // command: ready, playing, paused -> seeking (back to that state when done)
  finish,         // msgop reached the end time:  playing -> ended
  end,            // command: any state but ended -> ended (a failed session is cleaned up)
  fail,           // any state before ended       -> failed
};

std::string_view to_string(Transition transition);

// The states a transition may start from.
std::span<const State> allowed_from(Transition transition);
State target(Transition transition);

// The new state, or nullopt when `transition` is illegal from `from`.
std::optional<State> apply(State from, Transition transition);

// Subjects: tapedeck.session.<id>.<event>; events: init, restore.ok, restore.ko, ready,
// start, pause, resume, seek, seeked, speed, step, end, progress, finished (and failed, for a
// failure after restore).
inline constexpr std::string_view kSubjectPrefix = "tapedeck.session";
std::string subject(std::string_view session_id, std::string_view event);
// "tapedeck.session.>" for the EVENTS stream.
std::string stream_subjects();
// The session id and event name of a subject, or nullopt when it is not a session subject.
std::optional<std::pair<std::string, std::string>> parse_subject(std::string_view subject);

// Speed (core/speed.hpp): a positive factor held exactly, or max (no pacing).

// Session ids: short, URL- and database-name-safe ("s" + 12 lower-case hex digits).
std::string new_session_id();
bool valid_session_id(std::string_view id);

// The session database's name from the template (playback.database_template): "<id>" is
// replaced by the id; a template without it names one fixed database.
std::string database_name(std::string_view name_template, std::string_view session_id);
bool is_fixed_database(std::string_view name_template);

// Times as ISO 8601: UTC "Z" on output; "Z" or a "+hh:mm" offset on input.
using Time = std::chrono::sys_time<std::chrono::microseconds>;
std::string format_time(Time time);
std::optional<Time> parse_time(std::string_view text);

// An event's body: the session id, the event name, when it was sent, and event fields.
nlohmann::json event_body(std::string_view session_id, std::string_view event,
                          nlohmann::json fields = nlohmann::json::object());

}  // namespace tapedeck::session
