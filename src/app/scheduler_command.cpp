// `tapedeck scheduler`, `tapedeck backup run|list`, `tapedeck cleanup transform|backups`.
#include <fmt/format.h>

#include <cstdio>

#include "app/cli.hpp"
#include "app/components.hpp"
#include "core/backups/backup_record.hpp"
#include "core/exit_codes.hpp"
#include "core/pg/connection.hpp"
#include "core/schema/live_schema.hpp"
#include "scheduler/scheduler_service.hpp"

namespace tapedeck::app {

void add_scheduler_command(CLI::App& app, Context& context, Action& action) {
  auto* scheduler = app.add_subcommand(
      "scheduler", "run the backup and cleanup jobs on their cron schedules (scheduler.*)");
  scheduler->callback([&context, &action] {
    action = [&context] { return run_component("scheduler", context.load_config()); };
  });

  auto* backup = app.add_subcommand("backup", "snapshots of the Live DB");
  backup->require_subcommand(1);
  auto* backup_run =
      backup->add_subcommand("run", "take one backup now (refused while a scheduler runs one)");
  backup_run->callback([&context, &action] {
    action = [&context] {
      const auto settings = scheduler::scheduler_settings(context.load_config());
      std::printf("%s\n", scheduler::run_job_locked(settings, scheduler::Job::backup).c_str());
      return exit_code::ok;
    };
  });
  auto json = std::make_shared<bool>(false);
  auto* backup_list = backup->add_subcommand("list", "the backups, oldest first");
  backup_list->add_flag("--json", *json, "a JSON array instead of a table");
  backup_list->callback([&context, &action, json] {
    action = [&context, json] {
      const auto config = context.load_config();
      pg::Connection live(config.string("live.dsn"), "tapedeck-backup-list");
      schema::migrate_live(live);
      const auto backups = backups::list_backups(live);
      const auto text =
          *json ? backups::backups_to_json(backups) + "\n" : backups::backups_to_table(backups);
      std::fwrite(text.data(), 1, text.size(), stdout);
      return exit_code::ok;
    };
  });

  auto* cleanup = app.add_subcommand("cleanup", "run a cleanup job once");
  cleanup->require_subcommand(1);
  const auto add_cleanup = [&](const char* name, const char* help, scheduler::Job job) {
    cleanup->add_subcommand(name, help)->callback([&context, &action, job] {
      action = [&context, job] {
        const auto settings = scheduler::scheduler_settings(context.load_config());
        std::printf("%s\n", scheduler::run_job_locked(settings, job).c_str());
        return exit_code::ok;
      };
    });
  };
  add_cleanup("transform",
              "delete statements, RTUS calls and dead letters older than "
              "scheduler.transform_retention (keeping what the oldest backup needs)",
              scheduler::Job::cleanup_transform);
  add_cleanup("backups",
              "delete backups older than scheduler.backup_retention, keeping "
              "scheduler.backup_keep_min",
              scheduler::Job::cleanup_backups);
}

}  // namespace tapedeck::app
