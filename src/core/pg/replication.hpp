// A logical replication connection (walsender protocol): slots, START_REPLICATION, the
// message stream and standby status updates. Decoding pgoutput is not done here.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/lsn.hpp"
#include "core/pg/connection.hpp"
#include "core/pg/replication_protocol.hpp"

namespace tapedeck::pg {

struct SystemIdentity {
  std::string system_id;  // a 64-bit number, as text
  int timeline = 0;
  Lsn xlogpos;  // the server's current WAL flush position
  std::string dbname;
};

// What CREATE_REPLICATION_SLOT does with the snapshot it builds.
enum class SlotSnapshot {
  nothing,          // NOEXPORT_SNAPSHOT
  export_snapshot,  // EXPORT_SNAPSHOT: usable by SET TRANSACTION SNAPSHOT until the next command
  use,              // USE_SNAPSHOT: only inside a transaction on this connection
};

struct CreatedSlot {
  std::string slot_name;
  Lsn consistent_point;       // streaming from here gives every transaction after the slot
  std::string snapshot_name;  // empty unless SlotSnapshot::export_snapshot
  std::string output_plugin;
};

// One output plugin option for START_REPLICATION: "name" 'value'.
struct PluginOption {
  std::string name;
  std::string value;
};

// pgoutput's options: proto_version, publication_names (each name quoted as an identifier)
// and, when `messages`, messages 'true' (logical decoding messages in the stream).
std::vector<PluginOption> pgoutput_options(const std::vector<std::string>& publications,
                                           int proto_version = 1, bool messages = false);

// Owns a connection opened with replication=database. Commands (identify_system, slot
// creation) work until start_logical(); from then on the connection streams, and only
// read(), send_status() and stop() may be used. Move-only; one thread at a time (a capture
// loop reads and confirms from the same thread). A lost connection throws Error retry;
// streaming again means a new ReplicationConnection started from the slot.
class ReplicationConnection {
 public:
  explicit ReplicationConnection(std::string dsn, std::string application_name = {});

  SystemIdentity identify_system();

  // Slot names: lower-case letters, digits and '_', at most 63 (PostgreSQL's rule), checked
  // here so they need no quoting; Error (input, invalid) otherwise. A slot that exists
  // already throws Error (postgres, fail) with code 42710.
  CreatedSlot create_logical_slot(std::string_view slot, std::string_view plugin,
                                  SlotSnapshot snapshot = SlotSnapshot::nothing);
  // nullopt when the slot existed already.
  std::optional<CreatedSlot> create_logical_slot_if_missing(
      std::string_view slot, std::string_view plugin,
      SlotSnapshot snapshot = SlotSnapshot::nothing);
  // DROP_REPLICATION_SLOT ... WAIT (waits while another connection is using it).
  void drop_slot(std::string_view slot);

  // START_REPLICATION SLOT slot LOGICAL start (options). `start` 0/0 means "from the
  // slot's confirmed position"; the server never sends anything before that anyway.
  void start_logical(std::string_view slot, Lsn start, const std::vector<PluginOption>& options);
  bool streaming() const { return streaming_; }

  // The next message, or nullopt when none came within `timeout` (0: only what has
  // arrived). Throws Error retry when the connection is lost or the server ends the stream.
  std::optional<ReplicationMessage> read(std::chrono::milliseconds timeout);

  // Standby status update with the current time. `flush` is what the slot may confirm:
  // the server moves confirmed_flush_lsn there and may recycle WAL before it.
  void send_status(Lsn write, Lsn flush, Lsn apply, bool reply_requested = false);

  // Ends streaming (CopyDone), discarding messages still in flight; afterwards commands
  // such as drop_slot work again.
  void stop();

  const std::string& dsn_for_log() const { return connection_.dsn_for_log(); }

 private:
  Result command(std::string_view sql);

  Connection connection_;
  bool streaming_ = false;
};

}  // namespace tapedeck::pg
