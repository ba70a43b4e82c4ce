// Phase progress: rate, ETA and percent, as JSON and as a line of text.
#include "core/progress.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace tapedeck::session {

namespace {

nlohmann::json optional_number(const std::optional<double>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

std::optional<double> number_field(const nlohmann::json& json, const char* key) {
  const auto found = json.find(key);
  if (found == json.end() || !found->is_number()) return std::nullopt;
  return found->get<double>();
}

// 1234567 -> "1.2M", 950 -> "950": short enough for one terminal line.
std::string short_number(double value) {
  if (value >= 1e9) return fmt::format("{:.1f}G", value / 1e9);
  if (value >= 1e6) return fmt::format("{:.1f}M", value / 1e6);
  if (value >= 1e4) return fmt::format("{:.1f}k", value / 1e3);
  if (value == std::floor(value)) return fmt::format("{:.0f}", value);
  return fmt::format("{:.1f}", value);
}

std::string short_duration(double seconds) {
  const auto whole = static_cast<long long>(std::llround(std::max(seconds, 0.0)));
  if (whole >= 3600) return fmt::format("{}h{:02}m", whole / 3600, (whole % 3600) / 60);
  if (whole >= 60) return fmt::format("{}m{:02}s", whole / 60, whole % 60);
  return fmt::format("{}s", whole);
}

}  // namespace

nlohmann::json PhaseProgress::to_json() const {
  return {{"phase", phase},
          {"done", done},
          {"total", optional_number(total)},
          {"unit", unit},
          {"rate_per_second", optional_number(rate_per_second)},
          {"eta_seconds", optional_number(eta_seconds)},
          {"moment_reached",
           moment_reached ? nlohmann::json(format_time(*moment_reached)) : nlohmann::json(nullptr)},
          {"percent", optional_number(percent)}};
}

std::optional<PhaseProgress> PhaseProgress::from_json(const nlohmann::json& json) {
  if (!json.is_object() || !json.contains("phase") || !json["phase"].is_string()) {
    return std::nullopt;
  }
  PhaseProgress progress;
  progress.phase = json["phase"].get<std::string>();
  progress.done = number_field(json, "done").value_or(0);
  progress.total = number_field(json, "total");
  progress.unit = json.value("unit", std::string());
  progress.rate_per_second = number_field(json, "rate_per_second");
  progress.eta_seconds = number_field(json, "eta_seconds");
  progress.percent = number_field(json, "percent");
  const auto moment = json.find("moment_reached");
  if (moment != json.end() && moment->is_string()) {
    progress.moment_reached = parse_time(moment->get<std::string>());
  }
  return progress;
}

PhaseMeter::PhaseMeter(std::string phase, std::string unit, std::optional<double> total,
                       SteadyTime began)
    : phase_(std::move(phase)), unit_(std::move(unit)), total_(total), began_(began) {}

PhaseProgress PhaseMeter::at(double done, SteadyTime now, std::optional<Time> moment) const {
  PhaseProgress progress;
  progress.phase = phase_;
  progress.unit = unit_;
  progress.done = done;
  progress.total = total_;
  progress.moment_reached = moment;
  const double elapsed = std::chrono::duration<double>(now - began_).count();
  // Under a quarter second the average says nothing yet.
  std::optional<double> rate;
  if (elapsed >= 0.25) rate = done / elapsed;
  return with_rate(std::move(progress), rate);
}

PhaseProgress with_rate(PhaseProgress progress, std::optional<double> rate_per_second) {
  progress.rate_per_second = rate_per_second;
  progress.eta_seconds.reset();
  progress.percent.reset();
  if (progress.total) {
    const double total = *progress.total;
    const double left = std::max(total - progress.done, 0.0);
    progress.percent = total > 0 ? std::min(100.0, 100.0 * progress.done / total) : 100.0;
    if (left == 0) {
      progress.eta_seconds = 0;
    } else if (rate_per_second && *rate_per_second > 0) {
      progress.eta_seconds = left / *rate_per_second;
    }
  }
  return progress;
}

std::string progress_text(const PhaseProgress& progress, int width) {
  std::string text = fmt::format("{:<11}", progress.phase);
  if (progress.percent) text += fmt::format(" {:3.0f}%", *progress.percent);
  constexpr int kBarWidth = 24;
  if (width > 0 && progress.percent && width >= 80) {
    const int filled = static_cast<int>(std::lround(*progress.percent / 100.0 * kBarWidth));
    text += " [" + std::string(static_cast<std::size_t>(filled), '#') +
            std::string(static_cast<std::size_t>(kBarWidth - filled), '.') + "]";
  }
  text += fmt::format(" {}", short_number(progress.done));
  if (progress.total) text += "/" + short_number(*progress.total);
  text += " " + progress.unit;
  if (progress.rate_per_second) {
    text += fmt::format("  {}/s", short_number(*progress.rate_per_second));
  }
  if (progress.eta_seconds) text += "  ETA " + short_duration(*progress.eta_seconds);
  if (progress.moment_reached) text += "  at " + format_time(*progress.moment_reached);
  return text;
}

}  // namespace tapedeck::session
