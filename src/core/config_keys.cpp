// The table of every configuration key: name, kind, default, help. Components read only these.
#include <algorithm>

#include "core/config.hpp"

namespace tapedeck::config {

namespace {

using enum Kind;

// Defaults point at a single-machine install; the local stack writes its own file.
constexpr KeySpec kKeys[] = {
    {"log.level", string, "info", "trace, debug, info, warn, error, critical or off", false,
     "trace|debug|info|warn|error|critical|off"},
    {"run.components", string_list, "capture,transform,timekeeper,scheduler,replaymgr,dbop,msgop",
     "the components `tapedeck run` starts in one process"},

    {"live.dsn", string, "host=127.0.0.1 port=5432 dbname=live", "libpq DSN of the Live DB", true},
    {"store.dsn", string, "host=127.0.0.1 port=5432 dbname=tapedeck",
     "libpq DSN of the TransformMsg DB (statements, RTUS calls, sessions)", true},
    {"playback.dsn", string, "host=127.0.0.1 port=5432 dbname=playback",
     "libpq DSN of the Playback DB server; session databases are created beside it", true},
    {"playback.database_template", string, "playback_<id>",
     "session database name; <id> is the session id. A name without <id> is a fixed Playback DB "
     "that one session at a time holds"},
    {"playback.drop_on_end", boolean, "true", "drop a session's database when it ends"},
    {"playback.rtus_url", string, "",
     "base URL of the playback-side RTUS that recorded calls are replayed to (empty: none)"},

    {"nats.url", string, "nats://127.0.0.1:4222", "NATS server URL(s), comma-separated", true},
    {"nats.cdc_stream", string, "TAPEDECK_CDC", "JetStream stream of change events"},
    {"nats.cdc_prefix", string, "cdc",
     "subject prefix (Debezium topic.prefix); not 'tapedeck', whose session events are on "
     "tapedeck.session.>"},
    {"nats.events_stream", string, "TAPEDECK_EVENTS", "JetStream stream of session events"},
    {"nats.create_streams", boolean, "true",
     "create the streams when they are missing (false: they must exist, with these settings)"},
    {"nats.duplicate_window", duration, "2m",
     "JetStream duplicate window of the CDC stream; tapedeck sets it on an existing stream"},
    {"nats.cdc_max_age", duration, "3d",
     "the CDC stream drops events older than this (0: never). It only has to hold what "
     "transform has not stored yet: transform stores within seconds, so 3 days covers a "
     "transform outage over a long weekend; beyond scheduler.transform_retention it is useless "
     "(cleanup would delete the statements at once). Events dropped before transform stored "
     "them are lost to the recording"},
    {"nats.cdc_max_bytes", integer, "0",
     "the CDC stream drops its oldest events beyond this many bytes (0: no limit, the max age "
     "bounds it); a limit makes a long transform outage lose events"},
    {"nats.cdc_replicas", integer, "1",
     "copies of the CDC stream (1 on a single nats-server; 3 in a JetStream cluster)"},
    {"nats.events_max_age", duration, "7d",
     "the EVENTS stream drops session events older than this (0: never); they are read within "
     "seconds, the rest is history, kept as long as scheduler.transform_retention by default"},
    {"nats.events_max_bytes", integer, "0",
     "the EVENTS stream drops its oldest session events beyond this many bytes (0: no limit)"},
    {"nats.events_replicas", integer, "1",
     "copies of the EVENTS stream (1 on a single nats-server; 3 in a JetStream cluster)"},

    {"storage.url", string, "file:///var/lib/tapedeck/snapshots",
     "where snapshots go: file:///folder or s3://bucket[/prefix]"},
    {"s3.endpoint", string, "", "S3 endpoint URL (empty: AWS for the region)"},
    {"s3.region", string, "us-east-1", "S3 region used for signing"},
    {"s3.access_key", string, "", "S3 access key id", true},
    {"s3.secret_key", string, "", "S3 secret access key", true},
    {"s3.path_style", boolean, "true", "path-style addressing (false: virtual-host style)"},
    {"s3.part_size", integer, "8388608", "multipart upload part size in bytes (>= 5 MiB)"},
    {"s3.timeout", duration, "60s", "timeout of one S3 request"},

    {"rtus.url", string, "", "URL the timekeeper notifies every second (empty: no RTUS)"},
    {"rtus.method", string, "POST", "HTTP method of the RTUS notification", false,
     "POST|PUT|PATCH|GET"},
    {"rtus.timeout", duration, "300ms", "timeout of one RTUS call"},
    {"rtus.token", string, "", "bearer token sent to the RTUS", true},

    {"capture.slot_name", string, "tapedeck", "logical replication slot"},
    {"capture.publication", string, "tapedeck", "publication (created when missing)"},
    {"capture.include_tables", string_list, "",
     "schema.table list to publish (empty: all tables); \"a.b\".\"c\" quotes a part"},
    {"capture.exclude_tables", string_list, "",
     "schema.table list left out of the publication; \"a.b\".\"c\" quotes a part"},
    {"capture.schemas_enable", boolean, "true",
     "wrap events as {schema, payload} like Debezium's JsonConverter"},
    // string, not Debezium's precise: precise records numeric NaN and ±Infinity as NULL and
    // double rounds; string keeps every numeric and money value exactly, specials included.
    {"capture.decimal_handling_mode", string, "string",
     "Debezium decimal.handling.mode; string (the default) is exact for every numeric value, "
     "precise (Debezium's default) records NaN and Infinity as NULL, double rounds",
     false, "precise|string|double"},
    {"capture.interval_handling_mode", string, "string",
     "Debezium interval.handling.mode (string is exact)", false, "numeric|string"},
    // text, not Debezium's ZonedTime: ZonedTime keeps a timetz's instant but not its offset.
    {"capture.timetz_handling_mode", string, "text",
     "text (the default) carries timetz as PostgreSQL prints it, offset included; zoned_time is "
     "Debezium's io.debezium.time.ZonedTime, normalised to UTC",
     false, "text|zoned_time"},
    // text, not Debezium's JSON arrays: those lose an array's non-default lower bound.
    {"capture.array_handling_mode", string, "text",
     "text (the default) carries an array as PostgreSQL prints it, bounds included; json is "
     "Debezium's JSON array of the elements, which loses a lower bound other than 1",
     false, "text|json"},
    {"capture.confirm_mode", string, "watermark",
     "advance the slot by the transform watermark, or by JetStream acks alone", false,
     "watermark|puback"},
    {"capture.max_in_flight", integer, "4000", "unacknowledged publishes at most"},
    {"capture.slot_warn_fraction", number, "0.2",
     "warn when the slot's safe_wal_size falls below this fraction of the Live DB's "
     "max_slot_wal_keep_size (no warning when that is -1)"},
    {"capture.status_interval", duration, "1s", "standby status update period"},
    {"capture.listen", string, "127.0.0.1:9101", "address of /healthz and /metrics"},

    {"transform.durable", string, "tapedeck-transform", "durable pull consumer name"},
    {"transform.batch_size", integer, "2000", "messages per database transaction"},
    {"transform.fetch_timeout", duration, "200ms", "how long one fetch waits for messages"},
    {"transform.ack_wait", duration, "3s",
     "JetStream ack wait before redelivery: how soon a killed transform's unacknowledged "
     "messages come back (batches still being stored are kept in progress meanwhile)"},
    {"transform.max_message_bytes", integer, "8388608", "larger messages are dead-lettered unread"},
    {"transform.listen", string, "127.0.0.1:9102", "address of /healthz and /metrics"},

    {"timekeeper.interval", duration, "1s", "tick period"},
    {"timekeeper.listen", string, "127.0.0.1:9103", "address of /healthz and /metrics"},
    {"timekeeper.late_after", duration, "100ms",
     "a tick waking later than this after its second is counted and logged as late (0 < x < 1s)"},

    {"scheduler.backup_cron", string, "0 */6 * * *", "when the backup job runs"},
    {"scheduler.cleanup_transform_cron", string, "30 * * * *", "when old statements are deleted"},
    {"scheduler.cleanup_backup_cron", string, "45 * * * *", "when old backups are deleted"},
    {"scheduler.backup_checksums", boolean, "true",
     "checksum every recorded table in the backup's snapshot (what `tapedeck verify` compares); "
     "a full scan of each table while the snapshot is held"},
    {"scheduler.verify_cron", string, "",
     "when `tapedeck verify` runs (the two newest backups); empty: never"},
    {"scheduler.time_zone", string, "UTC", "time zone of the cron expressions"},
    {"scheduler.transform_retention", duration, "7d", "how long statements are kept"},
    {"scheduler.backup_retention", duration, "7d", "how long backups are kept"},
    {"scheduler.backup_keep_min", integer, "2", "backups kept whatever their age"},
    {"scheduler.cleanup_batch", integer, "10000", "rows deleted per statement"},
    {"scheduler.listen", string, "127.0.0.1:9104", "address of /healthz and /metrics"},

    {"replaymgr.listen", string, "127.0.0.1:8080", "address of the REST API"},
    {"replaymgr.console_listen", string, "",
     "address of the web console (its page at / and the REST API under /api, same token and "
     "TLS); empty: no console"},
    {"replaymgr.api_token", string, "",
     "bearer token the REST API requires (empty: the one in replaymgr.token_file, unless "
     "replaymgr.open)",
     true},
    {"replaymgr.open", boolean, "false",
     "serve the API without a token; only for a trusted network"},
    {"replaymgr.token_file", string, "~/.config/tapedeck/api-token",
     "where replaymgr keeps the API token it generates when api_token is empty and open is "
     "false (mode 0600), and where `tapedeck session` reads it"},
    {"replaymgr.tls_cert", string, "",
     "PEM certificate (chain) of the API: with tls_key the API is served over HTTPS only"},
    {"replaymgr.tls_key", string, "", "PEM private key of tls_cert"},
    {"replaymgr.url", string, "http://127.0.0.1:8080",
     "where `tapedeck session` finds the API (https://... when it serves TLS)"},
    {"replaymgr.tls_ca", string, "",
     "PEM file of the certificate authorities `tapedeck session` trusts for an https "
     "replaymgr.url (empty: the system's; a self-signed certificate is its own CA)"},
    {"replaymgr.drop_grace", duration, "30s",
     "how long after its end a session's leftover database is dropped (playback.drop_on_end)"},
    {"replaymgr.session_retention", duration, "7d",
     "rows of sessions ended longer ago than this are deleted (0: kept forever); longer than "
     "replaymgr.drop_grace"},
    {"replaymgr.idle_expiry", duration, "24h",
     "a ready, paused or failed session with no command and no state change for this long is "
     "ended and its database dropped (0: never)"},
    {"replaymgr.worker_timeout", duration, "10s",
     "a session whose worker has not reported for this long is failed"},

    {"dbop.restore_jobs", integer, "2", "pg_restore parallel jobs"},
    {"dbop.match_live_locale", boolean, "true",
     "create session databases with the Live DB's encoding and locale (recorded with each "
     "backup); false: the playback server's defaults"},
    {"dbop.max_restores", integer, "2",
     "sessions one dbop restores at the same time; more wait in line (a session's `queue`)"},
    {"dbop.work_dir", string, "/tmp", "where downloaded snapshots are kept while restoring"},
    {"dbop.listen", string, "127.0.0.1:9106", "address of /healthz and /metrics"},
    {"dbop.pg_restore", string, "",
     "pg_restore program (empty: the one of the playback server's major version)"},

    {"msgop.batch_statements", integer, "1000",
     "statements per catch-up apply transaction (group commit, whole source transactions)"},
    {"msgop.progress_interval", duration, "1s", "how often progress is published"},
    {"msgop.listen", string, "127.0.0.1:9107", "address of /healthz and /metrics"},
    {"msgop.rtus_timeout", duration, "2s", "timeout of one replayed call to playback.rtus_url"},
    {"msgop.durable", string, "tapedeck-msgop",
     "durable consumer of restore.ok events, shared by every msgop copy"},
};

}  // namespace

std::span<const KeySpec> known_keys() {
  return kKeys;
}

const KeySpec* find_key(std::string_view name) {
  const auto* found = std::find_if(std::begin(kKeys), std::end(kKeys),
                                   [&](const KeySpec& spec) { return spec.name == name; });
  return found == std::end(kKeys) ? nullptr : found;
}

}  // namespace tapedeck::config
