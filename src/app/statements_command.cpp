// `tapedeck statements export|stats`: read the recorded statements back.
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "app/cli.hpp"
#include "core/exit_codes.hpp"
#include "core/pg/connection.hpp"
#include "core/schema/store_schema.hpp"
#include "transform/statements_export.hpp"

namespace tapedeck::app {

void add_statements_command(CLI::App& app, Context& context, Action& action) {
  struct Options {
    std::optional<std::string> since;
    std::optional<std::string> until;
    std::optional<std::int64_t> after_snapshot;
  };
  auto options = std::make_shared<Options>();
  auto* group = app.add_subcommand("statements", "inspect the recorded statements");
  group->require_subcommand(1);

  auto* export_command = group->add_subcommand(
      "export",
      "write the statements of a window to stdout as a psql script (one BEGIN/COMMIT per "
      "source transaction, in commit order); run it with psql -v ON_ERROR_STOP=1");
  export_command->add_option("--since", options->since,
                             "only transactions committed after this time (timestamptz text)");
  export_command->add_option("--until", options->until,
                             "only transactions committed at or before this time");
  export_command->add_option(
      "--after-snapshot", options->after_snapshot,
      "only transactions not visible in this backup's snapshot (tapedeck.backups id)");
  export_command->callback([&context, &action, options] {
    action = [&context, options] {
      const config::Config config = context.load_config();
      pg::Connection store(config.string("store.dsn"), "tapedeck-statements");
      schema::require_store(store);
      std::optional<pg::Connection> live;
      if (options->after_snapshot) live.emplace(config.string("live.dsn"), "tapedeck-statements");
      transform::ScriptWriter writer(
          [](std::string_view text) { std::fwrite(text.data(), 1, text.size(), stdout); });
      std::string description;
      if (options->since) description += " since " + *options->since;
      if (options->until) description += " until " + *options->until;
      if (options->after_snapshot) {
        description += " after the snapshot of backup " + std::to_string(*options->after_snapshot);
      }
      writer.header(description.empty() ? "everything" : description.substr(1));
      const auto summary = transform::export_statements(
          store, live ? &*live : nullptr,
          transform::ExportOptions{options->since, options->until, options->after_snapshot},
          writer);
      std::fflush(stdout);
      std::fprintf(stderr, "exported %lld statements in %lld transactions\n",
                   static_cast<long long>(summary.statements),
                   static_cast<long long>(summary.transactions));
      if (std::ferror(stdout)) return exit_code::failed;
      if (summary.dead_letters > 0) {
        std::fprintf(stderr,
                     "statements export: the window holds %lld dead-lettered change(s) the script "
                     "lacks, so it cannot reproduce the window exactly; the oldest: %s\n",
                     static_cast<long long>(summary.dead_letters),
                     summary.oldest_dead_letter.c_str());
        return exit_code::failed;
      }
      if (!summary.held.empty()) {
        std::fprintf(stderr,
                     "statements export: %zu transaction(s) of the window were stored with "
                     "messages missing, which the script lacks (transform holds the watermark "
                     "before them until they arrive; see `tapedeck statements stats`); the "
                     "oldest: %s\n",
                     summary.held.size(), summary.held.front().c_str());
        return exit_code::failed;
      }
      return exit_code::ok;
    };
  });

  auto* stats_command = group->add_subcommand(
      "stats", "counts by table and op, time range, RTUS calls, dead letters, watermarks");
  stats_command->callback([&context, &action] {
    action = [&context] {
      const config::Config config = context.load_config();
      pg::Connection store(config.string("store.dsn"), "tapedeck-statements");
      schema::require_store(store);
      const std::string text = transform::statements_stats(store);
      std::fwrite(text.data(), 1, text.size(), stdout);
      return exit_code::ok;
    };
  });
}

}  // namespace tapedeck::app
