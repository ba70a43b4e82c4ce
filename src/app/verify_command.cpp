// `tapedeck verify [--older ID --newer ID]` and `tapedeck verify list`: prove that the
// recording replays one backup exactly into the next, and show the verdicts.
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "app/cli.hpp"
#include "core/backups/verification_record.hpp"
#include "core/exit_codes.hpp"
#include "core/pg/connection.hpp"
#include "core/schema/live_schema.hpp"
#include "verify/verification.hpp"

namespace tapedeck::app {

namespace {

void print(const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
}

}  // namespace

void add_verify_command(CLI::App& app, Context& context, Action& action) {
  struct Options {
    std::optional<std::int64_t> older;
    std::optional<std::int64_t> newer;
    bool json = false;
    int limit = 20;
  };
  auto options = std::make_shared<Options>();
  auto* verify = app.add_subcommand(
      "verify",
      "restore an older backup into a scratch database, catch it up exactly to a newer backup's "
      "snapshot and compare per-table checksums (default: the two newest backups); exit 0 ok, "
      "3 diverged, 1 failed");
  verify->add_option("--older", options->older, "the backup to restore (tapedeck.backups id)");
  verify->add_option("--newer", options->newer, "the backup to reach (tapedeck.backups id)");
  verify->add_flag("--json", options->json, "the verdict as JSON");
  verify->callback([&context, &action, options, verify] {
    if (verify->got_subcommand("list")) return;
    action = [&context, options] {
      const auto settings = verify::VerifySettings::from_config(context.load_config());
      const auto verdict = verify::run_verification(settings, options->older, options->newer);
      print(options->json ? backups::verification_to_json(verdict) + "\n"
                          : backups::verification_to_text(verdict));
      switch (verdict.result) {
        case backups::VerifyResult::ok:
          return exit_code::ok;
        case backups::VerifyResult::diverged:
          return exit_code::verify_diverged;
        case backups::VerifyResult::failed:
          return exit_code::failed;
      }
      return exit_code::failed;
    };
  });
  auto* list = verify->add_subcommand("list", "the latest verdicts, latest first");
  list->add_option("--limit", options->limit, "how many (default 20)");
  list->add_flag("--json", options->json, "a JSON array");
  list->callback([&context, &action, options] {
    action = [&context, options] {
      const auto config = context.load_config();
      pg::Connection live(config.string("live.dsn"), "tapedeck-verify");
      schema::migrate_live(live);
      const auto verdicts = backups::list_verifications(live, options->limit);
      if (options->json) {
        print(backups::verifications_to_json(verdicts) + "\n");
      } else if (verdicts.empty()) {
        print("no verifications\n");
      } else {
        for (const auto& verdict : verdicts) print(backups::verification_to_text(verdict));
      }
      return exit_code::ok;
    };
  });
}

}  // namespace tapedeck::app
