// The component table.
#include "app/components.hpp"

#include <fmt/format.h>

#include <array>

#include "capture/capture_service.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/exit_codes.hpp"
#include "dbop/dbop_service.hpp"
#include "msgop/msgop_service.hpp"
#include "replaymgr/replaymgr_service.hpp"
#include "scheduler/scheduler_service.hpp"
#include "timekeeper/timekeeper_service.hpp"
#include "transform/transform_service.hpp"
#include "verify/verification.hpp"

namespace tapedeck::app {

namespace {

int run_capture(const config::Config& config) {
  capture::CaptureService service(capture::CaptureSettings::from_config(config));
  return service.run();
}

int run_transform(const config::Config& config) {
  transform::TransformService service(transform::TransformSettings::from_config(config));
  return service.run();
}

// The scheduler's verify job: `tapedeck verify` of the two newest backups. A verdict other than
// ok is a failed run (logged, counted, and shown on the scheduler's /healthz).
scheduler::JobReport run_verify_job(const verify::VerifySettings& settings) {
  const auto verdict = verify::run_verification(settings);
  auto text = backups::verification_to_text(verdict);
  while (!text.empty() && text.back() == '\n') text.pop_back();
  if (verdict.result != backups::VerifyResult::ok) {
    throw Error(ErrorSource::input, Recovery::fail, text);
  }
  return text;
}

int run_scheduler(const config::Config& config) {
  SystemClock clock;
  auto settings = scheduler::scheduler_settings(config);
  if (settings.verify_cron) {
    settings.verify = [verify_settings = verify::VerifySettings::from_config(config)] {
      return run_verify_job(verify_settings);
    };
  }
  scheduler::SchedulerService service(std::move(settings), clock);
  service.run();
  return exit_code::ok;
}

int run_timekeeper(const config::Config& config) {
  timekeeper::TimekeeperService service(timekeeper::TimekeeperSettings::from_config(config));
  return service.run();
}

int run_replaymgr(const config::Config& config) {
  replaymgr::ReplaymgrService service(replaymgr::ReplaymgrSettings::from_config(config));
  return service.run();
}

int run_dbop(const config::Config& config) {
  dbop::DbopService service(dbop::DbopSettings::from_config(config), config);
  return service.run();
}

int run_msgop(const config::Config& config) {
  SystemClock clock;
  msgop::MsgopService service(msgop::MsgopSettings::from_config(config), config, clock);
  return service.run();
}

// In the order `tapedeck run` lists them.
const std::array<Component, 7>& components() {
  static const std::array<Component, 7> table = {{
      {"capture", run_capture},
      {"transform", run_transform},
      {"timekeeper", run_timekeeper},
      {"scheduler", run_scheduler},
      {"replaymgr", run_replaymgr},
      {"dbop", run_dbop},
      {"msgop", run_msgop},
  }};
  return table;
}

}  // namespace

std::optional<Component> find_component(std::string_view name) {
  for (const auto& component : components()) {
    if (component.name == name) return component;
  }
  return std::nullopt;
}

int run_component(std::string_view name, const config::Config& config) {
  const auto component = find_component(name);
  if (!component) {
    throw Error(ErrorSource::internal, Recovery::fail,
                fmt::format("no component named '{}'", name));
  }
  return component->run(config);
}

std::vector<std::string> component_names() {
  std::vector<std::string> names;
  for (const auto& component : components()) names.push_back(component.name);
  return names;
}

}  // namespace tapedeck::app
