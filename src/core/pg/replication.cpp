// Logical replication commands and the CopyBoth stream.
#include "core/pg/replication.hpp"

#include <fmt/format.h>
#include <libpq-fe.h>

#include <memory>

#include "core/error.hpp"
#include "core/pg/libpq_error.hpp"
#include "core/pg/socket_wait.hpp"
#include "core/sql_quote.hpp"

namespace tapedeck::pg {

namespace {

struct FreeMem {
  void operator()(char* buffer) const { PQfreemem(buffer); }
};
using CopyBuffer = std::unique_ptr<char, FreeMem>;

void check_name(std::string_view what, std::string_view name) {
  const bool valid =
      !name.empty() && name.size() <= 63 &&
      name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") == std::string_view::npos;
  if (!valid) {
    throw Error(ErrorSource::input, Recovery::invalid,
                fmt::format("{} '{}' is not valid: use 1 to 63 lower-case letters, digits or '_'",
                            what, name));
  }
}

std::string_view snapshot_keyword(SlotSnapshot snapshot) {
  switch (snapshot) {
    case SlotSnapshot::export_snapshot:
      return "EXPORT_SNAPSHOT";
    case SlotSnapshot::use:
      return "USE_SNAPSHOT";
    case SlotSnapshot::nothing:
      break;
  }
  return "NOEXPORT_SNAPSHOT";
}

}  // namespace

std::vector<PluginOption> pgoutput_options(const std::vector<std::string>& publications,
                                           int proto_version, bool messages) {
  std::string names;
  for (const auto& publication : publications) {
    if (!names.empty()) names.push_back(',');
    sql::append_identifier(names, publication);
  }
  std::vector<PluginOption> options{{"proto_version", std::to_string(proto_version)},
                                    {"publication_names", std::move(names)}};
  if (messages) options.push_back({"messages", "true"});
  return options;
}

ReplicationConnection::ReplicationConnection(std::string dsn, std::string application_name)
    : connection_(std::move(dsn), std::move(application_name), true) {}

Result ReplicationConnection::command(std::string_view sql) {
  if (streaming_) {
    throw Error(ErrorSource::internal, Recovery::fail,
                fmt::format("running `{}` while streaming; call stop() first", sql));
  }
  return connection_.exec(sql);
}

SystemIdentity ReplicationConnection::identify_system() {
  const Result result = command("IDENTIFY_SYSTEM");
  SystemIdentity identity;
  identity.system_id = result.get<std::string>(0, "systemid");
  identity.timeline = result.get<int>(0, "timeline");
  const auto xlogpos = Lsn::parse(result.text(0, result.column_index("xlogpos")));
  if (!xlogpos) {
    throw Error(ErrorSource::postgres, Recovery::fail,
                fmt::format("IDENTIFY_SYSTEM returned xlogpos '{}', which is not an LSN",
                            result.text(0, result.column_index("xlogpos"))));
  }
  identity.xlogpos = *xlogpos;
  identity.dbname = result.get<std::optional<std::string>>(0, "dbname").value_or("");
  return identity;
}

CreatedSlot ReplicationConnection::create_logical_slot(std::string_view slot,
                                                       std::string_view plugin,
                                                       SlotSnapshot snapshot) {
  check_name("replication slot name", slot);
  check_name("output plugin name", plugin);
  const Result result = command(fmt::format("CREATE_REPLICATION_SLOT {} LOGICAL {} {}", slot,
                                            plugin, snapshot_keyword(snapshot)));
  CreatedSlot created;
  created.slot_name = result.get<std::string>(0, "slot_name");
  const auto point = Lsn::parse(result.text(0, result.column_index("consistent_point")));
  created.consistent_point = point.value_or(Lsn{});
  created.snapshot_name = result.get<std::optional<std::string>>(0, "snapshot_name").value_or("");
  created.output_plugin = result.get<std::optional<std::string>>(0, "output_plugin").value_or("");
  return created;
}

std::optional<CreatedSlot> ReplicationConnection::create_logical_slot_if_missing(
    std::string_view slot, std::string_view plugin, SlotSnapshot snapshot) {
  try {
    return create_logical_slot(slot, plugin, snapshot);
  } catch (const Error& error) {
    if (error.code() == "42710") return std::nullopt;  // duplicate_object
    throw;
  }
}

void ReplicationConnection::drop_slot(std::string_view slot) {
  check_name("replication slot name", slot);
  command(fmt::format("DROP_REPLICATION_SLOT {} WAIT", slot));
}

void ReplicationConnection::start_logical(std::string_view slot, Lsn start,
                                          const std::vector<PluginOption>& options) {
  check_name("replication slot name", slot);
  std::string sql = fmt::format("START_REPLICATION SLOT {} LOGICAL {}", slot, start.str());
  if (!options.empty()) {
    sql += " (";
    for (std::size_t i = 0; i < options.size(); ++i) {
      if (i > 0) sql += ", ";
      sql::append_identifier(sql, options[i].name);
      sql.push_back(' ');
      sql::append_literal(sql, options[i].value);
    }
    sql.push_back(')');
  }
  if (streaming_) {
    throw Error(ErrorSource::internal, Recovery::fail, "start_logical() while already streaming");
  }
  PGconn* conn = connection_.handle();
  PGresult* raw = PQexec(conn, sql.c_str());
  if (raw != nullptr && PQresultStatus(raw) == PGRES_COPY_BOTH) {
    PQclear(raw);
    streaming_ = true;
    return;
  }
  const std::string doing = fmt::format("running `{}`", sql);
  connection_.check(raw, doing);
  throw Error(ErrorSource::postgres, Recovery::fail,
              fmt::format("{}: the server did not start streaming", doing));
}

std::optional<ReplicationMessage> ReplicationConnection::read(std::chrono::milliseconds timeout) {
  if (!streaming_) {
    throw Error(ErrorSource::internal, Recovery::fail, "read() before start_logical()");
  }
  PGconn* conn = connection_.handle();
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    char* raw = nullptr;
    const int length = PQgetCopyData(conn, &raw, 1);
    CopyBuffer buffer(raw);
    if (length > 0) {
      return parse_replication_message(
          std::string_view(buffer.get(), static_cast<std::size_t>(length)));
    }
    if (length == 0) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      const auto ready =
          detail::wait_socket(conn, false, left.count() > 0 ? left : std::chrono::milliseconds(0));
      if (ready.timed_out) return std::nullopt;
      if (PQconsumeInput(conn) != 1) {
        throw detail::connection_error(conn, "reading the replication stream");
      }
      continue;
    }
    streaming_ = false;
    if (length == -1) {
      // The server ended the stream; its reason (if any) is in the results that follow.
      std::optional<Error> failure;
      while (PGresult* result = PQgetResult(conn)) {
        if (!failure && PQresultStatus(result) == PGRES_FATAL_ERROR) {
          failure = detail::result_error(conn, result, "reading the replication stream");
        }
        PQclear(result);
      }
      if (failure) throw *failure;
      throw Error(ErrorSource::postgres, Recovery::retry,
                  "reading the replication stream: the server ended it; start again from the "
                  "slot");
    }
    throw detail::connection_error(conn, "reading the replication stream");
  }
}

void ReplicationConnection::send_status(Lsn write, Lsn flush, Lsn apply, bool reply_requested) {
  if (!streaming_) {
    throw Error(ErrorSource::internal, Recovery::fail, "send_status() before start_logical()");
  }
  PGconn* conn = connection_.handle();
  const auto now =
      std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
  const auto bytes = encode_standby_status({write, flush, apply, now, reply_requested});
  if (PQputCopyData(conn, bytes.data(), static_cast<int>(bytes.size())) != 1 ||
      PQflush(conn) != 0) {
    throw detail::connection_error(
        conn, fmt::format("sending the standby status (flush {})", flush.str()));
  }
}

void ReplicationConnection::stop() {
  if (!streaming_) return;
  streaming_ = false;
  PGconn* conn = connection_.handle();
  if (PQputCopyEnd(conn, nullptr) != 1 || PQflush(conn) != 0) {
    throw detail::connection_error(conn, "ending the replication stream");
  }
  for (;;) {
    char* raw = nullptr;
    const int length = PQgetCopyData(conn, &raw, 0);
    CopyBuffer buffer(raw);
    if (length == -1) break;
    if (length < -1) throw detail::connection_error(conn, "ending the replication stream");
  }
  std::optional<Error> failure;
  while (PGresult* result = PQgetResult(conn)) {
    if (!failure && PQresultStatus(result) == PGRES_FATAL_ERROR) {
      failure = detail::result_error(conn, result, "ending the replication stream");
    }
    PQclear(result);
  }
  if (failure) throw *failure;
}

}  // namespace tapedeck::pg
