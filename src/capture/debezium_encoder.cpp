// Turns decoded pgoutput messages into Debezium PostgreSQL change events (JSON), subjects and ids.
#include "capture/debezium_encoder.hpp"

#include <fmt/format.h>

#include "capture/json_writer.hpp"
#include "core/error.hpp"

namespace tapedeck::capture {
namespace {

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

std::string escaped(std::string_view text) {
  fmt::memory_buffer buf;
  JsonWriter w(buf);
  w.string(text);
  return fmt::to_string(buf);
}

std::string_view view(const fmt::memory_buffer& buf) {
  return {buf.data(), buf.size()};
}

// io.debezium.connector.postgresql.Source as 2.7 builds it.
constexpr std::string_view kSourceSchema =
    R"({"type":"struct","fields":[)"
    R"({"type":"string","optional":false,"field":"version"},)"
    R"({"type":"string","optional":false,"field":"connector"},)"
    R"({"type":"string","optional":false,"field":"name"},)"
    R"({"type":"int64","optional":false,"field":"ts_ms"},)"
    R"({"type":"string","optional":true,"name":"io.debezium.data.Enum","version":1,)"
    R"("parameters":{"allowed":"true,last,false,incremental"},"default":"false","field":"snapshot"},)"
    R"({"type":"string","optional":false,"field":"db"},)"
    R"({"type":"string","optional":true,"field":"sequence"},)"
    R"({"type":"int64","optional":true,"field":"ts_us"},)"
    R"({"type":"int64","optional":true,"field":"ts_ns"},)"
    R"({"type":"string","optional":false,"field":"schema"},)"
    R"({"type":"string","optional":false,"field":"table"},)"
    R"({"type":"int64","optional":true,"field":"txId"},)"
    R"({"type":"int64","optional":true,"field":"lsn"},)"
    R"({"type":"int64","optional":true,"field":"xmin"}],)"
    R"("optional":false,"name":"io.debezium.connector.postgresql.Source","field":"source"})";

constexpr std::string_view kTransactionBlockSchema =
    R"({"type":"struct","fields":[)"
    R"({"type":"string","optional":false,"field":"id"},)"
    R"({"type":"int64","optional":false,"field":"total_order"},)"
    R"({"type":"int64","optional":false,"field":"data_collection_order"}],)"
    R"("optional":true,"name":"event.block","version":1,"field":"transaction"})";

constexpr std::string_view kEnvelopeTail = R"({"type":"string","optional":false,"field":"op"},)"
                                           R"({"type":"int64","optional":true,"field":"ts_ms"},)"
                                           R"({"type":"int64","optional":true,"field":"ts_us"},)"
                                           R"({"type":"int64","optional":true,"field":"ts_ns"}])";

constexpr std::string_view kTransactionValueSchema =
    R"({"type":"struct","fields":[)"
    R"({"type":"string","optional":false,"field":"status"},)"
    R"({"type":"string","optional":false,"field":"id"},)"
    R"({"type":"int64","optional":true,"field":"event_count"},)"
    R"({"type":"array","items":{"type":"struct","fields":[)"
    R"({"type":"string","optional":false,"field":"data_collection"},)"
    R"({"type":"int64","optional":false,"field":"event_count"}],"optional":false},)"
    R"("optional":true,"field":"data_collections"},)"
    R"({"type":"int64","optional":false,"field":"ts_ms"}],)"
    R"("optional":false,"name":"io.debezium.connector.common.TransactionMetadataValue"})";

void write_ts(JsonWriter& w, std::int64_t unix_micros) {
  w.raw(",\"ts_ms\":");
  w.integer(floor_div(unix_micros, 1000));
  w.raw(",\"ts_us\":");
  w.integer(unix_micros);
  w.raw(",\"ts_ns\":");
  w.integer(unix_micros * 1000);
}

}  // namespace

std::string message_id(Lsn commit_lsn, std::uint64_t position) {
  return fmt::format("{}:{}", commit_lsn.str(), position);
}

std::string table_subject(std::string_view prefix, std::string_view schema,
                          std::string_view table) {
  // Much as Debezium sanitizes topic names: every character outside [A-Za-z0-9_-] becomes '_'.
  // A space, '*' or '>' would otherwise make the NATS server refuse the publish and drop the
  // connection (processHeaderPub parse error). Debezium keeps '.', but in NATS it separates
  // tokens, and a name that starts or ends with one, or holds two in a row, makes an empty
  // token: the stream's `<prefix>.>` does not take it, and the publish finds no responders. So
  // schema and table are one token each. Transform reads schema and table from source.
  std::string subject = fmt::format("{}.", prefix);
  const auto append = [&subject](std::string_view name) {
    for (const char c : name) {
      const bool safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '_' || c == '-';
      subject.push_back(safe ? c : '_');
    }
  };
  append(schema);
  subject.push_back('.');
  append(table);
  return subject;
}

std::string transaction_subject(std::string_view prefix) {
  return fmt::format("{}.transaction", prefix);
}

std::string message_subject(std::string_view prefix) {
  return fmt::format("{}.message", prefix);
}

std::string key_columns_header(const std::vector<std::string>& names) {
  fmt::memory_buffer buf;
  JsonWriter w(buf);
  w.raw('[');
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) w.raw(',');
    w.string(names[i]);
  }
  w.raw(']');
  return fmt::to_string(buf);
}

struct DebeziumEncoder::Prepared {
  std::uint64_t version = 0;
  std::uint32_t oid = 0;
  std::vector<ColumnCodec> codecs;
  std::vector<std::string> field_keys;  // "\"name\":"
  std::vector<bool> not_null;
  std::vector<std::size_t> keys;
  std::shared_ptr<const std::vector<std::string>> key_names;
  std::string subject;
  std::string data_collection;    // "schema.table" for transaction metadata
  std::string schema_prefix;      // {"schema":<envelope>,"payload":   (schemas.enable only)
  std::string key_schema_prefix;  // {"schema":<key struct>,"payload":  (schemas.enable only)
  std::string schema_table;       // ,"schema":"s","table":"t"
};

DebeziumEncoder::DebeziumEncoder(EncoderSettings settings, RelationCache& relations)
    : settings_(std::move(settings)),
      relations_(relations),
      placeholder_(Placeholder::from_setting(settings_.unavailable_value_placeholder)),
      transaction_subject_(transaction_subject(settings_.topic_prefix)),
      message_subject_(message_subject(settings_.topic_prefix)) {
  if (settings_.schemas_enable) {
    transaction_schema_prefix_ =
        fmt::format("{{\"schema\":{},\"payload\":", kTransactionValueSchema);
    message_schema_prefix_ = fmt::format(
        R"({{"schema":{{"type":"struct","fields":[{{"type":"string","optional":false,"field":"op"}},)"
        R"({{"type":"int64","optional":true,"field":"ts_ms"}},{},)"
        R"({{"type":"struct","fields":[{{"type":"string","optional":true,"field":"prefix"}},)"
        R"({{"type":"bytes","optional":true,"field":"content"}}],"optional":true,)"
        R"("name":"io.debezium.connector.postgresql.Message","field":"message"}}],)"
        R"("optional":false,"name":"io.debezium.connector.postgresql.MessageValue"}},"payload":)",
        kSourceSchema);
  }
}

DebeziumEncoder::~DebeziumEncoder() = default;

const DebeziumEncoder::Prepared& DebeziumEncoder::prepared(std::uint32_t relation_oid) {
  const RelationInfo& rel = relations_.get(relation_oid);
  auto& slot = prepared_[relation_oid];
  if (slot && slot->version == rel.version) return *slot;

  auto p = std::make_unique<Prepared>();
  p->version = rel.version;
  p->oid = rel.oid;
  const TypeLookup lookup = [this](std::uint32_t oid) { return relations_.type(oid); };
  std::vector<std::string> key_names;
  for (std::size_t i = 0; i < rel.columns.size(); ++i) {
    const ColumnInfo& column = rel.columns[i];
    ColumnCodec codec = make_codec(column.type_oid, column.type_modifier, settings_, lookup);
    // Normally refused at start (CaptureService checks the publication's columns); a table
    // created or altered since then is refused here, before its first row is encoded.
    if (codec.kind == CodecKind::uncarried) {
      const TypeInfo* type = lookup(column.type_oid);
      require_carried(codec, fmt::format("{}.{}.{}", rel.schema, rel.name, column.name),
                      type != nullptr ? type->name : fmt::format("oid {}", column.type_oid));
    }
    p->codecs.push_back(std::move(codec));
    p->field_keys.push_back(escaped(column.name) + ":");
    p->not_null.push_back(column.not_null);
  }
  for (std::size_t index : rel.key_columns) {
    p->keys.push_back(index);
    key_names.push_back(rel.columns[index].name);
  }
  p->key_names = std::make_shared<const std::vector<std::string>>(std::move(key_names));
  p->subject = table_subject(settings_.topic_prefix, rel.schema, rel.name);
  p->data_collection = fmt::format("{}.{}", rel.schema, rel.name);
  p->schema_table =
      fmt::format(",\"schema\":{},\"table\":{}", escaped(rel.schema), escaped(rel.name));

  if (settings_.schemas_enable) {
    const std::string base = fmt::format("{}.{}.{}", settings_.topic_prefix, rel.schema, rel.name);
    fmt::memory_buffer fields;
    JsonWriter w(fields);
    bool first = true;
    for (std::size_t i = 0; i < rel.columns.size(); ++i) {
      if (!first) w.raw(',');
      first = false;
      write_schema(w, p->codecs[i], !rel.columns[i].not_null, rel.columns[i].name);
    }
    fmt::memory_buffer key_schema;
    JsonWriter k(key_schema);
    k.raw("{\"schema\":{\"type\":\"struct\",\"fields\":[");
    for (std::size_t n = 0; n < p->keys.size(); ++n) {
      if (n != 0) k.raw(',');
      const std::size_t i = p->keys[n];
      write_schema(k, p->codecs[i], false, rel.columns[i].name);
    }
    k.raw("],\"optional\":false,\"name\":");
    k.string(base + ".Key");
    k.raw("},\"payload\":");
    p->key_schema_prefix = fmt::to_string(key_schema);
    const std::string value_name = escaped(base + ".Value");
    fmt::memory_buffer schema;
    JsonWriter s(schema);
    s.raw("{\"schema\":{\"type\":\"struct\",\"fields\":[");
    for (std::string_view field : {"before", "after"}) {
      s.raw("{\"type\":\"struct\",\"fields\":[");
      s.raw(view(fields));
      s.raw("],\"optional\":true,\"name\":");
      s.raw(value_name);
      s.raw(",\"field\":\"");
      s.raw(field);
      s.raw("\"},");
    }
    s.raw(kSourceSchema);
    s.raw(',');
    s.raw(kTransactionBlockSchema);
    s.raw(',');
    s.raw(kEnvelopeTail);
    s.raw(",\"optional\":false,\"name\":");
    s.string(base + ".Envelope");
    s.raw(",\"version\":2},\"payload\":");
    p->schema_prefix = fmt::to_string(schema);
  }
  slot = std::move(p);
  return *slot;
}

void DebeziumEncoder::require_transaction(std::string_view what) const {
  if (!tx_.open) {
    throw Error(ErrorSource::input, Recovery::invalid,
                fmt::format("pgoutput {} arrived outside a transaction (no Begin before it); "
                            "restart streaming from the slot",
                            what));
  }
}

void DebeziumEncoder::on_message(const pgoutput::Message& message, Lsn wal_start, std::int64_t now,
                                 std::vector<EncodedEvent>& out) {
  using namespace pgoutput;
  if (const auto* begin = std::get_if<Begin>(&message)) {
    tx_ = Transaction{};
    tx_.open = true;
    tx_.xid = begin->xid;
    tx_.commit_lsn = begin->final_lsn;
    tx_.commit_time = begin->commit_time;
  } else if (const auto* commit = std::get_if<Commit>(&message)) {
    require_transaction("Commit");
    if (tx_.begin_emitted) emit_end(*commit, out);
    last_commit_lsn_ = commit->end_lsn;
    tx_ = Transaction{};
  } else if (const auto* relation = std::get_if<Relation>(&message)) {
    relations_.apply(*relation);
  } else if (const auto* type = std::get_if<Type>(&message)) {
    relations_.apply(*type);
  } else if (const auto* insert = std::get_if<Insert>(&message)) {
    require_transaction("Insert");
    emit_row(prepared(insert->relation_oid), 'c', nullptr, &insert->new_tuple, nullptr, wal_start,
             now, out);
  } else if (const auto* update = std::get_if<Update>(&message)) {
    require_transaction("Update");
    on_update(*update, wal_start, now, out);
  } else if (const auto* del = std::get_if<Delete>(&message)) {
    require_transaction("Delete");
    emit_row(prepared(del->relation_oid), 'd', &del->old_tuple, nullptr, nullptr, wal_start, now,
             out);
  } else if (const auto* truncate = std::get_if<Truncate>(&message)) {
    require_transaction("Truncate");
    if (!settings_.emit_truncate) return;
    for (std::uint32_t oid : truncate->relation_oids) {
      emit_truncate(prepared(oid), wal_start, now, out);
    }
  } else if (const auto* logical = std::get_if<LogicalMessage>(&message)) {
    if (logical->transactional) require_transaction("transactional Message");
    if (settings_.emit_messages) emit_message(*logical, wal_start, now, out);
  }
  // Origin: nothing to publish.
}

void DebeziumEncoder::on_update(const pgoutput::Update& update, Lsn lsn, std::int64_t now,
                                std::vector<EncodedEvent>& out) {
  const Prepared& rel = prepared(update.relation_oid);
  const pgoutput::Tuple* old =
      update.old_kind == pgoutput::OldTupleKind::none ? nullptr : &update.old_tuple;
  if (old != nullptr && !rel.keys.empty()) {
    // A changed key: Debezium emits a delete of the old key and a create of the new row.
    bool key_changed = false;
    for (std::size_t k : rel.keys) {
      if (k >= old->size() || k >= update.new_tuple.size()) continue;
      const auto& before = (*old)[k];
      const auto& after = update.new_tuple[k];
      if (before.kind != pgoutput::ValueKind::text && before.kind != pgoutput::ValueKind::binary) {
        continue;
      }
      if (after.kind != before.kind || after.data != before.data) key_changed = true;
    }
    if (key_changed) {
      emit_row(rel, 'd', old, nullptr, nullptr, lsn, now, out);
      out.back().key_change_header = cdc::kNewKeyHeader;
      out.back().key_change = key_json(rel, update.new_tuple, old);
      emit_row(rel, 'c', nullptr, &update.new_tuple, old, lsn, now, out);
      out.back().key_change_header = cdc::kOldKeyHeader;
      out.back().key_change = key_json(rel, *old, nullptr);
      return;
    }
  }
  emit_row(rel, 'u', old, &update.new_tuple, old, lsn, now, out);
}

std::uint64_t DebeziumEncoder::count_event(const Prepared& rel, Lsn lsn, std::int64_t /*now*/,
                                           std::vector<EncodedEvent>& out) {
  if (settings_.provide_transaction_metadata && !tx_.begin_emitted) emit_begin(lsn, out);
  ++tx_.total_order;
  for (auto& table : tx_.tables) {
    if (table.relation_oid == rel.oid) return ++table.count;
  }
  tx_.tables.push_back({rel.oid, rel.data_collection, 1});
  return 1;
}

namespace {

void write_source(JsonWriter& w, const EncoderSettings& s, std::string_view schema_table,
                  std::int64_t commit_unix_micros, std::optional<Lsn> last_commit,
                  std::optional<std::uint32_t> xid, Lsn lsn) {
  w.raw("\"source\":{\"version\":");
  w.string(s.connector_version);
  w.raw(",\"connector\":\"postgresql\",\"name\":");
  w.string(s.topic_prefix);
  w.raw(",\"ts_ms\":");
  w.integer(floor_div(commit_unix_micros, 1000));
  w.raw(",\"snapshot\":\"false\",\"db\":");
  w.string(s.database_name);
  w.raw(",\"sequence\":\"[");
  if (last_commit) {
    w.raw("\\\"");
    w.unsigned_integer(last_commit->value);
    w.raw("\\\"");
  } else {
    w.raw("null");
  }
  w.raw(",\\\"");
  w.unsigned_integer(lsn.value);
  w.raw("\\\"]\",\"ts_us\":");
  w.integer(commit_unix_micros);
  w.raw(",\"ts_ns\":");
  w.integer(commit_unix_micros * 1000);
  w.raw(schema_table);
  w.raw(",\"txId\":");
  if (xid) {
    w.unsigned_integer(*xid);
  } else {
    w.null();
  }
  w.raw(",\"lsn\":");
  w.integer(static_cast<std::int64_t>(lsn.value));
  w.raw(",\"xmin\":null}");
}

}  // namespace

void DebeziumEncoder::emit_row(const Prepared& rel, char op, const pgoutput::Tuple* before,
                               const pgoutput::Tuple* after, const pgoutput::Tuple* old_for_toast,
                               Lsn lsn, std::int64_t now, std::vector<EncodedEvent>& out) {
  const std::uint64_t collection_order = count_event(rel, lsn, now, out);
  const std::uint64_t position = tx_.next_position++;

  fmt::memory_buffer buf;
  buf.reserve(rel.schema_prefix.size() + 512);
  JsonWriter w(buf);
  w.raw(rel.schema_prefix);

  auto write_row = [&](const pgoutput::Tuple& tuple, const pgoutput::Tuple* fallback) {
    if (tuple.size() > rel.codecs.size()) {
      throw Error(ErrorSource::input, Recovery::invalid,
                  fmt::format("tuple for {} has {} columns but its Relation message announced {}; "
                              "restart streaming from the slot",
                              rel.data_collection, tuple.size(), rel.codecs.size()));
    }
    w.raw('{');
    bool first = true;
    for (std::size_t i = 0; i < rel.codecs.size(); ++i) {
      const ColumnCodec& codec = rel.codecs[i];
      if (!first) w.raw(',');
      first = false;
      w.raw(rel.field_keys[i]);
      const pgoutput::TupleValue* value = i < tuple.size() ? &tuple[i] : nullptr;
      if (value != nullptr && value->kind == pgoutput::ValueKind::unchanged_toast && fallback &&
          i < fallback->size() && (*fallback)[i].kind == pgoutput::ValueKind::text) {
        value = &(*fallback)[i];  // REPLICA IDENTITY FULL: the old row holds the value
      }
      if (value == nullptr || value->kind == pgoutput::ValueKind::null) {
        // Key-only old rows leave the other columns null; the JSON converter shows Debezium's
        // fallback for NOT NULL ones.
        if (rel.not_null[i]) {
          write_fallback(w, codec);
        } else {
          w.null();
        }
      } else if (value->kind == pgoutput::ValueKind::unchanged_toast) {
        write_placeholder(w, codec, placeholder_);
      } else if (value->kind == pgoutput::ValueKind::text) {
        write_value(w, codec, value->data, settings_);
      } else {
        throw Error(ErrorSource::input, Recovery::invalid,
                    fmt::format("column {} of {} arrived in binary format; start replication "
                                "without the pgoutput 'binary' option",
                                i, rel.data_collection));
      }
    }
    w.raw('}');
  };

  w.raw("{\"before\":");
  if (before != nullptr) {
    write_row(*before, nullptr);
  } else {
    w.null();
  }
  w.raw(",\"after\":");
  if (after != nullptr) {
    write_row(*after, old_for_toast);
  } else {
    w.null();
  }
  w.raw(',');
  write_source(w, settings_, rel.schema_table, tx_.commit_time.unix_micros(), last_commit_lsn_,
               tx_.xid, lsn);
  w.raw(",\"transaction\":");
  if (settings_.provide_transaction_metadata) {
    w.raw("{\"id\":\"");
    w.unsigned_integer(tx_.xid);
    w.raw(':');
    w.unsigned_integer(lsn.value);
    w.raw("\",\"total_order\":");
    w.unsigned_integer(tx_.total_order);
    w.raw(",\"data_collection_order\":");
    w.unsigned_integer(collection_order);
    w.raw('}');
  } else {
    w.null();
  }
  w.raw(",\"op\":\"");
  w.raw(op);
  w.raw('"');
  write_ts(w, now);
  w.raw('}');
  if (!rel.schema_prefix.empty()) w.raw('}');

  out.push_back(EncodedEvent{rel.subject,
                             message_id(tx_.commit_lsn, position),
                             fmt::to_string(buf),
                             tx_.commit_lsn,
                             lsn,
                             rel.key_names,
                             {},
                             {}});
}

std::string DebeziumEncoder::key_json(const Prepared& rel, const pgoutput::Tuple& tuple,
                                      const pgoutput::Tuple* old_for_toast) const {
  fmt::memory_buffer buf;
  JsonWriter w(buf);
  w.raw(rel.key_schema_prefix);
  w.raw('{');
  for (std::size_t n = 0; n < rel.keys.size(); ++n) {
    const std::size_t i = rel.keys[n];
    if (n != 0) w.raw(',');
    w.raw(rel.field_keys[i]);
    const pgoutput::TupleValue* value = i < tuple.size() ? &tuple[i] : nullptr;
    if (value != nullptr && value->kind == pgoutput::ValueKind::unchanged_toast &&
        old_for_toast != nullptr && i < old_for_toast->size()) {
      value = &(*old_for_toast)[i];
    }
    if (value == nullptr || value->kind != pgoutput::ValueKind::text) {
      // A key value never arrives NULL or TOASTed with its old row at hand; say so plainly.
      throw Error(ErrorSource::input, Recovery::invalid,
                  fmt::format("key column {} of {} has no value in a key change; restart "
                              "streaming from the slot",
                              i, rel.data_collection));
    }
    write_value(w, rel.codecs[i], value->data, settings_);
  }
  w.raw('}');
  if (!rel.key_schema_prefix.empty()) w.raw('}');
  return fmt::to_string(buf);
}

void DebeziumEncoder::emit_truncate(const Prepared& rel, Lsn lsn, std::int64_t now,
                                    std::vector<EncodedEvent>& out) {
  const std::uint64_t collection_order = count_event(rel, lsn, now, out);
  const std::uint64_t position = tx_.next_position++;
  fmt::memory_buffer buf;
  JsonWriter w(buf);
  w.raw(rel.schema_prefix);
  w.raw('{');
  write_source(w, settings_, rel.schema_table, tx_.commit_time.unix_micros(), last_commit_lsn_,
               tx_.xid, lsn);
  w.raw(",\"transaction\":");
  if (settings_.provide_transaction_metadata) {
    w.raw(fmt::format(R"({{"id":"{}:{}","total_order":{},"data_collection_order":{}}})", tx_.xid,
                      lsn.value, tx_.total_order, collection_order));
  } else {
    w.null();
  }
  w.raw(",\"op\":\"t\"");
  write_ts(w, now);
  w.raw('}');
  if (!rel.schema_prefix.empty()) w.raw('}');
  out.push_back(EncodedEvent{rel.subject,
                             message_id(tx_.commit_lsn, position),
                             fmt::to_string(buf),
                             tx_.commit_lsn,
                             lsn,
                             nullptr,
                             {},
                             {}});
}

void DebeziumEncoder::emit_message(const pgoutput::LogicalMessage& message, Lsn lsn,
                                   std::int64_t now, std::vector<EncodedEvent>& out) {
  const bool in_tx = message.transactional && tx_.open;
  const Lsn commit_lsn = in_tx ? tx_.commit_lsn : message.lsn;
  const std::uint64_t position = in_tx ? tx_.next_position++ : 0;
  fmt::memory_buffer buf;
  JsonWriter w(buf);
  w.raw(message_schema_prefix_);
  w.raw("{\"op\":\"m\",\"ts_ms\":");
  w.integer(floor_div(now, 1000));
  w.raw(',');
  write_source(w, settings_, ",\"schema\":\"\",\"table\":\"\"",
               in_tx ? tx_.commit_time.unix_micros() : now, last_commit_lsn_,
               in_tx ? std::optional<std::uint32_t>(tx_.xid) : std::nullopt,
               message.lsn.valid() ? message.lsn : lsn);
  w.raw(",\"message\":{\"prefix\":");
  w.string(message.prefix);
  w.raw(",\"content\":");
  w.base64(message.content);
  w.raw("}}");
  if (!message_schema_prefix_.empty()) w.raw('}');
  out.push_back(EncodedEvent{message_subject_,
                             message_id(commit_lsn, position),
                             fmt::to_string(buf),
                             commit_lsn,
                             lsn,
                             nullptr,
                             {},
                             {}});
}

void DebeziumEncoder::emit_begin(Lsn first_event_lsn, std::vector<EncodedEvent>& out) {
  tx_.begin_emitted = true;
  fmt::memory_buffer buf;
  JsonWriter w(buf);
  w.raw(transaction_schema_prefix_);
  w.raw(fmt::format(R"({{"status":"BEGIN","id":"{}:{}","event_count":null,"data_collections":null,)"
                    R"("ts_ms":{}}})",
                    tx_.xid, first_event_lsn.value,
                    floor_div(tx_.commit_time.unix_micros(), 1000)));
  if (!transaction_schema_prefix_.empty()) w.raw('}');
  out.push_back(EncodedEvent{transaction_subject_,
                             message_id(tx_.commit_lsn, 0),
                             fmt::to_string(buf),
                             tx_.commit_lsn,
                             first_event_lsn,
                             nullptr,
                             {},
                             {}});
}

void DebeziumEncoder::emit_end(const pgoutput::Commit& commit, std::vector<EncodedEvent>& out) {
  fmt::memory_buffer buf;
  JsonWriter w(buf);
  w.raw(transaction_schema_prefix_);
  w.raw(fmt::format(R"({{"status":"END","id":"{}:{}","event_count":{},"data_collections":[)",
                    tx_.xid, commit.end_lsn.value, tx_.total_order));
  for (std::size_t i = 0; i < tx_.tables.size(); ++i) {
    if (i > 0) w.raw(',');
    w.raw("{\"data_collection\":");
    w.string(tx_.tables[i].data_collection);
    w.raw(",\"event_count\":");
    w.unsigned_integer(tx_.tables[i].count);
    w.raw('}');
  }
  w.raw("],\"ts_ms\":");
  w.integer(floor_div(tx_.commit_time.unix_micros(), 1000));
  w.raw('}');
  if (!transaction_schema_prefix_.empty()) w.raw('}');
  out.push_back(EncodedEvent{transaction_subject_,
                             message_id(tx_.commit_lsn, tx_.next_position),
                             fmt::to_string(buf),
                             tx_.commit_lsn,
                             commit.end_lsn,
                             nullptr,
                             {},
                             {}});
}

}  // namespace tapedeck::capture
