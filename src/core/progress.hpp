// Progress people can read: what a session's current phase has done of how much, at what
// rate, and when it should be done. One shape for the session object, its events and the CLI.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "core/session.hpp"

namespace tapedeck::session {

// One phase's progress: "restoring" counts bytes of the snapshot, "catching_up" and
// "seeking" statements applied of those to apply, "playing" seconds of the recording played
// of the session's window. Value type; null fields mean "nothing to report".
struct PhaseProgress {
  std::string phase;
  double done = 0;
  std::optional<double> total;
  std::string unit;  // "bytes", "statements" or "seconds"
  std::optional<double> rate_per_second;
  std::optional<double> eta_seconds;
  std::optional<Time> moment_reached;
  std::optional<double> percent;

  // {"phase", "done", "total", "unit", "rate_per_second", "eta_seconds", "moment_reached",
  // "percent"}, nulls kept.
  nlohmann::json to_json() const;
  // The inverse of to_json(); nullopt for null or anything not an object with a phase.
  static std::optional<PhaseProgress> from_json(const nlohmann::json& json);
};

// Measures one phase from its beginning: the rate is the average since then (steady, so a
// burst or a stall does not make the ETA jump about), the ETA what is left at that rate.
// Value type, pure: the caller passes the time.
class PhaseMeter {
 public:
  using SteadyTime = std::chrono::steady_clock::time_point;

  PhaseMeter(std::string phase, std::string unit, std::optional<double> total, SteadyTime began);

  void set_total(std::optional<double> total) { total_ = total; }
  const std::string& phase() const { return phase_; }

  // The progress with `done` units done at `now`; `moment` is the recorded moment reached.
  PhaseProgress at(double done, SteadyTime now, std::optional<Time> moment = std::nullopt) const;

 private:
  std::string phase_;
  std::string unit_;
  std::optional<double> total_;
  SteadyTime began_;
};

// The fields rate, ETA and percent follow from done, total and a rate; pure.
PhaseProgress with_rate(PhaseProgress progress, std::optional<double> rate_per_second);

// "catching_up  41% [########............]  1200/2900 statements  310/s  ETA 5s" for a terminal
// of `width` columns (a bar only when total is known); the same without the bar when width is 0.
std::string progress_text(const PhaseProgress& progress, int width);

}  // namespace tapedeck::session
