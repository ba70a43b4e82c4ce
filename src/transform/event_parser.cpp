// Debezium JSON to ChangeEvent / TransactionMetadata, with reasons for every refusal.
#include "transform/event_parser.hpp"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/error.hpp"

namespace tapedeck::transform {
namespace {

namespace od = simdjson::ondemand;

[[noreturn]] void invalid(std::string reason) {
  throw Error(ErrorSource::input, Recovery::invalid, std::move(reason));
}

void check(simdjson::error_code code, std::string_view where) {
  if (code != simdjson::SUCCESS) {
    invalid(fmt::format("malformed JSON at {}: {}", where, simdjson::error_message(code)));
  }
}

std::string_view type_name(od::json_type type) {
  switch (type) {
    case od::json_type::array:
      return "array";
    case od::json_type::object:
      return "object";
    case od::json_type::number:
      return "number";
    case od::json_type::string:
      return "string";
    case od::json_type::boolean:
      return "boolean";
    case od::json_type::null:
      return "null";
  }
  return "unknown";
}

od::json_type type_of(od::value& value, std::string_view where) {
  od::json_type type{};
  check(value.type().get(type), where);
  return type;
}

[[noreturn]] void wrong_type(std::string_view where, std::string_view expected, od::json_type got) {
  invalid(fmt::format("{} must be {}, not {}", where, expected, type_name(got)));
}

// True for a JSON number token (RFC 8259 grammar).
bool is_json_number(std::string_view text) {
  std::size_t i = 0;
  const auto digit = [&](std::size_t at) {
    return at < text.size() && text[at] >= '0' && text[at] <= '9';
  };
  if (i < text.size() && text[i] == '-') ++i;
  if (!digit(i)) return false;
  if (text[i] == '0') {
    ++i;
  } else {
    while (digit(i)) ++i;
  }
  if (i < text.size() && text[i] == '.') {
    ++i;
    if (!digit(i)) return false;
    while (digit(i)) ++i;
  }
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
    if (!digit(i)) return false;
    while (digit(i)) ++i;
  }
  return i == text.size();
}

std::string_view number_token(od::value& value, std::string_view where) {
  std::string_view raw = value.raw_json_token();
  while (!raw.empty() &&
         (raw.back() == ' ' || raw.back() == '\n' || raw.back() == '\r' || raw.back() == '\t')) {
    raw.remove_suffix(1);
  }
  if (!is_json_number(raw)) {
    invalid(fmt::format("{} is a malformed number", where));
  }
  return raw;
}

void check_null(od::value& value, std::string_view where) {
  bool null = false;
  check(value.is_null().get(null), where);
  if (!null) invalid(fmt::format("malformed JSON at {}: bad literal", where));
}

std::string_view get_string(od::value& value, std::string_view where) {
  const auto type = type_of(value, where);
  if (type != od::json_type::string) wrong_type(where, "a string", type);
  std::string_view text;
  check(value.get_string().get(text), where);
  return text;
}

std::optional<std::string_view> get_optional_string(od::value& value, std::string_view where) {
  if (type_of(value, where) == od::json_type::null) {
    check_null(value, where);
    return std::nullopt;
  }
  return get_string(value, where);
}

std::int64_t get_int(od::value& value, std::string_view where) {
  const auto type = type_of(value, where);
  if (type != od::json_type::number) wrong_type(where, "an integer", type);
  std::int64_t number = 0;
  if (value.get_int64().get(number) != simdjson::SUCCESS) {
    invalid(fmt::format("{} must be a 64-bit integer, not {}", where, number_token(value, where)));
  }
  return number;
}

std::optional<std::int64_t> get_optional_int(od::value& value, std::string_view where) {
  if (type_of(value, where) == od::json_type::null) {
    check_null(value, where);
    return std::nullopt;
  }
  return get_int(value, where);
}

std::optional<std::uint64_t> get_optional_lsn(od::value& value, std::string_view where) {
  const auto number = get_optional_int(value, where);
  if (number && *number < 0) invalid(fmt::format("{} must not be negative", where));
  if (!number) return std::nullopt;
  return static_cast<std::uint64_t>(*number);
}

od::object get_object(od::value& value, std::string_view where) {
  const auto type = type_of(value, where);
  if (type != od::json_type::object) wrong_type(where, "an object", type);
  od::object object;
  check(value.get_object().get(object), where);
  return object;
}

od::array get_array(od::value& value, std::string_view where) {
  const auto type = type_of(value, where);
  if (type != od::json_type::array) wrong_type(where, "an array", type);
  od::array array;
  check(value.get_array().get(array), where);
  return array;
}

// Iterates the fields of `object`, calling fn(key, value).
template <typename Fn>
void for_each_field(od::object& object, std::string_view where, Fn&& fn) {
  for (auto field_result : object) {
    od::field field;
    check(std::move(field_result).get(field), where);
    std::string_view key;
    check(field.unescaped_key().get(key), where);
    od::value value = field.value();
    fn(key, value);
  }
}

void capture(od::value& value, JsonValue& out, std::string_view where) {
  switch (type_of(value, where)) {
    case od::json_type::null:
      check_null(value, where);
      out.kind = JsonValue::Kind::null;
      return;
    case od::json_type::boolean:
      out.kind = JsonValue::Kind::boolean;
      check(value.get_bool().get(out.boolean), where);
      return;
    case od::json_type::number:
      out.kind = JsonValue::Kind::number;
      out.text.assign(number_token(value, where));
      return;
    case od::json_type::string: {
      out.kind = JsonValue::Kind::string;
      std::string_view text;
      check(value.get_string().get(text), where);
      out.text.assign(text);
      return;
    }
    case od::json_type::array: {
      out.kind = JsonValue::Kind::array;
      od::array array;
      check(value.get_array().get(array), where);
      for (auto element_result : array) {
        od::value element;
        check(element_result.get(element), where);
        capture(element, out.items.emplace_back(), where);
      }
      return;
    }
    case od::json_type::object: {
      out.kind = JsonValue::Kind::object;
      od::object object;
      check(value.get_object().get(object), where);
      for_each_field(object, where, [&](std::string_view key, od::value& member) {
        auto& slot = out.members.emplace_back(JsonMember{std::string(key), JsonValue{}});
        capture(member, slot.value, where);
      });
      return;
    }
  }
}

// Room for the columns of most rows at once: growing one field at a time moved every field
// four or five times per row.
constexpr std::size_t kColumnsReserved = 16;

void parse_row(od::value& value, std::optional<Row>& out, std::string_view where) {
  if (type_of(value, where) == od::json_type::null) {
    check_null(value, where);
    out.reset();
    return;
  }
  od::object object = get_object(value, where);
  Row& row = out.emplace();
  row.reserve(kColumnsReserved);
  for_each_field(object, where, [&](std::string_view key, od::value& member) {
    auto& field = row.emplace_back();
    field.name.assign(key);
    capture(member, field.value, where);
  });
}

// "[\"24023119\",\"24023128\"]" or "[null,\"26524528\"]".
void parse_sequence(std::string_view text, Source& source) {
  const auto fail = [&] {
    invalid(fmt::format("source.sequence must be a JSON array of two LSN strings, not {}",
                        text.substr(0, 80)));
  };
  auto trim = [](std::string_view s) {
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
    return s;
  };
  text = trim(text);
  if (text.size() < 2 || text.front() != '[' || text.back() != ']') fail();
  const std::string_view inner = text.substr(1, text.size() - 2);
  const auto comma = inner.find(',');
  if (comma == std::string_view::npos) fail();
  const auto element = [&](std::string_view item) -> std::optional<std::uint64_t> {
    item = trim(item);
    if (item == "null") return std::nullopt;
    if (item.size() < 3 || item.front() != '"' || item.back() != '"') fail();
    item = item.substr(1, item.size() - 2);
    std::uint64_t lsn = 0;
    const auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), lsn);
    if (ec != std::errc() || end != item.data() + item.size()) fail();
    return lsn;
  };
  source.sequence_commit_lsn = element(inner.substr(0, comma));
  source.sequence_lsn = element(inner.substr(comma + 1));
  source.has_sequence = true;
}

void parse_source(od::value& value, Source& source) {
  od::object object = get_object(value, "source");
  bool saw_ts_ms = false;
  for_each_field(object, "source", [&](std::string_view key, od::value& field) {
    if (key == "version") {
      source.version.assign(get_optional_string(field, "source.version").value_or(""));
    } else if (key == "connector") {
      source.connector.assign(get_optional_string(field, "source.connector").value_or(""));
    } else if (key == "name") {
      source.name.assign(get_optional_string(field, "source.name").value_or(""));
    } else if (key == "ts_ms") {
      source.ts_ms = get_int(field, "source.ts_ms");
      saw_ts_ms = true;
    } else if (key == "ts_us") {
      source.ts_us = get_optional_int(field, "source.ts_us");
    } else if (key == "ts_ns") {
      source.ts_ns = get_optional_int(field, "source.ts_ns");
    } else if (key == "snapshot") {
      // A string enum; Debezium's hand-written documentation examples print a boolean.
      const auto type = type_of(field, "source.snapshot");
      if (type == od::json_type::boolean) {
        bool flag = false;
        check(field.get_bool().get(flag), "source.snapshot");
        source.snapshot = flag ? "true" : "false";
      } else {
        source.snapshot.assign(get_optional_string(field, "source.snapshot").value_or("false"));
      }
    } else if (key == "db") {
      source.db.assign(get_optional_string(field, "source.db").value_or(""));
    } else if (key == "sequence") {
      if (const auto text = get_optional_string(field, "source.sequence")) {
        parse_sequence(*text, source);
      }
    } else if (key == "schema") {
      source.schema.assign(get_optional_string(field, "source.schema").value_or(""));
    } else if (key == "table") {
      source.table.assign(get_optional_string(field, "source.table").value_or(""));
    } else if (key == "txId") {
      source.tx_id = get_optional_int(field, "source.txId");
    } else if (key == "lsn") {
      source.lsn = get_optional_lsn(field, "source.lsn");
    }
    // xmin, origin, origin_lsn and fields of later versions are not needed.
  });
  if (!saw_ts_ms) invalid("source.ts_ms (the commit time) is missing");
}

void parse_transaction_block(od::value& value, std::optional<TransactionBlock>& out) {
  if (type_of(value, "transaction") == od::json_type::null) {
    check_null(value, "transaction");
    out.reset();
    return;
  }
  od::object object = get_object(value, "transaction");
  TransactionBlock& block = out.emplace();
  bool saw_id = false;
  for_each_field(object, "transaction", [&](std::string_view key, od::value& field) {
    if (key == "id") {
      block.id.assign(get_string(field, "transaction.id"));
      saw_id = true;
    } else if (key == "total_order") {
      block.total_order = get_int(field, "transaction.total_order");
    } else if (key == "data_collection_order") {
      block.data_collection_order = get_int(field, "transaction.data_collection_order");
    }
  });
  if (!saw_id) invalid("transaction.id is missing");
}

void parse_message(od::value& value, std::optional<LogicalMessage>& out) {
  if (type_of(value, "message") == od::json_type::null) {
    check_null(value, "message");
    out.reset();
    return;
  }
  od::object object = get_object(value, "message");
  LogicalMessage& message = out.emplace();
  for_each_field(object, "message", [&](std::string_view key, od::value& field) {
    if (key == "prefix") {
      message.prefix.assign(get_optional_string(field, "message.prefix").value_or(""));
    } else if (key == "content") {
      message.content.assign(get_optional_string(field, "message.content").value_or(""));
    }
  });
}

void parse_schema(od::value& value, FieldSchema& out, std::string_view where) {
  od::object object = get_object(value, where);
  for_each_field(object, where, [&](std::string_view key, od::value& field) {
    if (key == "type") {
      out.type.assign(get_string(field, where));
    } else if (key == "name") {
      out.name.assign(get_optional_string(field, where).value_or(""));
    } else if (key == "field") {
      out.field.assign(get_string(field, where));
    } else if (key == "optional") {
      const auto type = type_of(field, where);
      if (type != od::json_type::boolean) wrong_type("a schema's optional", "a boolean", type);
      check(field.get_bool().get(out.optional), where);
    } else if (key == "parameters") {
      if (type_of(field, where) == od::json_type::null) return;
      od::object parameters = get_object(field, "a schema's parameters");
      for_each_field(parameters, where, [&](std::string_view name, od::value& parameter) {
        std::string text;
        const auto type = type_of(parameter, where);
        if (type == od::json_type::string) {
          text.assign(get_string(parameter, where));
        } else if (type == od::json_type::number) {
          text.assign(number_token(parameter, where));
        } else {
          wrong_type("a schema parameter", "a string", type);
        }
        out.parameters.emplace_back(std::string(name), std::move(text));
      });
    } else if (key == "items") {
      out.items.clear();
      parse_schema(field, out.items.emplace_back(), "a schema's items");
    } else if (key == "fields") {
      od::array fields = get_array(field, "a schema's fields");
      for (auto element_result : fields) {
        od::value element;
        check(element_result.get(element), where);
        parse_schema(element, out.fields.emplace_back(), "a schema's fields");
      }
    }
  });
}

Op parse_op(od::value& value) {
  const std::string_view text = get_string(value, "op");
  if (text.size() == 1) {
    switch (text[0]) {
      case 'c':
        return Op::create;
      case 'r':
        return Op::read;
      case 'u':
        return Op::update;
      case 'd':
        return Op::remove;
      case 't':
        return Op::truncate;
      case 'm':
        return Op::message;
      default:
        break;
    }
  }
  invalid(fmt::format("unknown op \"{}\" (expected one of c, r, u, d, t, m)", text.substr(0, 40)));
}

// Refuses content after the top-level value.
void check_at_end(od::document& document) {
  const char* location = nullptr;
  if (document.current_location().get(location) != simdjson::OUT_OF_BOUNDS) {
    invalid("malformed JSON: trailing content after the message");
  }
}

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view text) const {
    return std::hash<std::string_view>{}(text);
  }
};

struct EnvelopeSeen {
  bool op = false;
  bool source = false;
  bool any = false;
};

// Handles one envelope field; returns false when `key` is not an envelope field.
bool envelope_field(std::string_view key, od::value& value, ChangeEvent& event,
                    EnvelopeSeen& seen) {
  if (key == "before") {
    parse_row(value, event.before, "before");
  } else if (key == "after") {
    parse_row(value, event.after, "after");
  } else if (key == "source") {
    if (type_of(value, "source") == od::json_type::null) invalid("source is null");
    parse_source(value, event.source);
    seen.source = true;
  } else if (key == "op") {
    event.op = parse_op(value);
    seen.op = true;
  } else if (key == "ts_ms") {
    event.ts_ms = get_optional_int(value, "ts_ms");
  } else if (key == "transaction") {
    parse_transaction_block(value, event.transaction);
  } else if (key == "message") {
    parse_message(value, event.message);
  } else {
    return false;  // ts_us, ts_ns and fields of later versions
  }
  seen.any = true;
  return true;
}

void validate(const ChangeEvent& event, const EnvelopeSeen& seen) {
  if (!seen.any)
    invalid("not a Debezium change event: no envelope field (before, after, source, op)");
  if (!seen.op) invalid("op is missing");
  if (!seen.source) invalid("source is missing");
  const auto op = to_string(event.op);
  if (event.op != Op::message && (event.source.schema.empty() || event.source.table.empty())) {
    invalid(fmt::format("op {} needs source.schema and source.table", op));
  }
  switch (event.op) {
    case Op::create:
    case Op::read:
    case Op::update:
      if (!event.after)
        invalid(fmt::format("op {} needs an after row, but after is missing or null", op));
      break;
    case Op::remove:
      if (!event.before) {
        invalid(
            "op d with before missing or null cannot be replayed: the deleted row's key is "
            "unknown (the table needs a primary key or REPLICA IDENTITY FULL)");
      }
      break;
    case Op::truncate:
      break;
    case Op::message:
      if (!event.message) invalid("op m needs a message block");
      break;
  }
}

// An envelope schema without row fields (a bare {"type":"struct","fields":[]}) says nothing
// about the rows: the event is decoded as if it had none.
void keep_row_schemas(std::shared_ptr<const RowSchemas> schema, ChangeEvent& event) {
  if (!schema->after.fields.empty() || !schema->before.fields.empty()) {
    event.schema = std::move(schema);
  }
}

}  // namespace

struct EventParser::Impl {
  explicit Impl(ParseOptions opts) : options(opts), parser(opts.max_message_bytes) {}

  ParseOptions options;
  od::parser parser;   // grows on demand up to max_message_bytes
  std::string buffer;  // the message followed by SIMDJSON_PADDING bytes

  od::document iterate(std::string_view json) {
    if (json.size() > options.max_message_bytes) {
      invalid(fmt::format("message of {} bytes exceeds the limit of {} bytes", json.size(),
                          options.max_message_bytes));
    }
    if (json.find_first_not_of(" \t\r\n") == std::string_view::npos) {
      invalid("empty message body (a tombstone carries no change)");
    }
    buffer.assign(json);
    buffer.append(simdjson::SIMDJSON_PADDING, '\0');
    od::document document;
    check(parser.iterate(buffer.data(), json.size(), buffer.size()).get(document), "the start");
    return document;
  }

  // The row schemas of an envelope schema, parsed once per distinct schema text.
  std::shared_ptr<const RowSchemas> row_schemas(std::string_view raw) {
    const auto found = schema_cache.find(raw);
    if (found != schema_cache.end()) return found->second;
    schema_buffer.assign(raw);
    schema_buffer.append(simdjson::SIMDJSON_PADDING, '\0');
    od::document document;
    check(
        schema_parser.iterate(schema_buffer.data(), raw.size(), schema_buffer.size()).get(document),
        "schema");
    od::value value;
    check(document.get_value().get(value), "schema");
    FieldSchema envelope;
    parse_schema(value, envelope, "schema");
    auto schemas = std::make_shared<RowSchemas>();
    for (auto& field : envelope.fields) {
      if (field.field == "before") {
        schemas->before = std::move(field);
      } else if (field.field == "after") {
        schemas->after = std::move(field);
      }
    }
    if (schema_cache.size() >= kSchemaCacheSize) schema_cache.clear();
    schema_cache.emplace(std::string(raw), schemas);
    return schemas;
  }

  // A message that is exactly {"schema":<S>,"payload":<P>}, with S the text of a recently seen
  // schema: its payload text P and S's row schemas. Capture and Debezium's JsonConverter write
  // the schema first, compactly, and repeat it byte for byte for every event of a table, so
  // the schema (most of the message) need not be scanned again. S is a complete JSON value,
  // so a message that starts with it has S as its schema.
  std::optional<std::pair<std::string_view, std::shared_ptr<const RowSchemas>>> split_known_schema(
      std::string_view json) {
    constexpr std::string_view kSchemaKey = R"({"schema":)";
    constexpr std::string_view kPayloadKey = R"(,"payload":)";
    if (json.size() > options.max_message_bytes || !json.starts_with(kSchemaKey)) return {};
    const std::string_view rest = json.substr(kSchemaKey.size());
    for (std::size_t i = 0; i < recent_schemas.size(); ++i) {
      const std::string& text = recent_schemas[i].text;
      // The key after the schema first: it rules out a schema of another length at once.
      if (rest.size() <= text.size() || !rest.substr(text.size()).starts_with(kPayloadKey) ||
          !rest.starts_with(text)) {
        continue;
      }
      std::string_view payload = rest.substr(text.size() + kPayloadKey.size());
      const auto last = payload.find_last_not_of(" \t\r\n");
      if (last == std::string_view::npos || payload[last] != '}') return {};
      payload = payload.substr(0, last);
      std::rotate(recent_schemas.begin(), recent_schemas.begin() + static_cast<std::ptrdiff_t>(i),
                  recent_schemas.begin() + static_cast<std::ptrdiff_t>(i) + 1);
      return std::pair{payload, recent_schemas.front().schemas};
    }
    return {};
  }

  void remember_schema(std::string_view raw, std::shared_ptr<const RowSchemas> schemas) {
    if (!recent_schemas.empty() && recent_schemas.front().text == raw) return;
    if (recent_schemas.size() >= kRecentSchemas) recent_schemas.pop_back();
    recent_schemas.insert(recent_schemas.begin(),
                          KnownSchema{std::string(raw), std::move(schemas)});
  }

  struct KnownSchema {
    std::string text;
    std::shared_ptr<const RowSchemas> schemas;
  };
  static constexpr std::size_t kRecentSchemas = 32;  // tables written to together
  std::vector<KnownSchema> recent_schemas;           // most recently used first

  static constexpr std::size_t kSchemaCacheSize = 1024;
  od::parser schema_parser;
  std::string schema_buffer;
  // Keyed by the schema's JSON text; cleared when full (schemas change rarely).
  std::unordered_map<std::string, std::shared_ptr<const RowSchemas>, StringHash, std::equal_to<>>
      schema_cache;
};

EventParser::EventParser(ParseOptions options) : impl_(std::make_unique<Impl>(options)) {}
EventParser::~EventParser() = default;
EventParser::EventParser(EventParser&&) noexcept = default;
EventParser& EventParser::operator=(EventParser&&) noexcept = default;

ChangeEvent EventParser::parse_change_event(std::string_view json) {
  ChangeEvent event;
  parse_change_event(json, event);
  return event;
}

void EventParser::parse_change_event(std::string_view json, ChangeEvent& event) {
  if (const auto known = impl_->split_known_schema(json)) {
    try {
      parse_payload(known->first, known->second, event);
      return;
    } catch (const Error&) {
      // the full parse below names what is wrong in terms of the whole message
    }
  }
  event = ChangeEvent{};
  od::document document = impl_->iterate(json);
  od::object top;
  {
    od::json_type type{};
    check(document.type().get(type), "the top level");
    if (type != od::json_type::object) wrong_type("the message", "a JSON object", type);
    check(document.get_object().get(top), "the top level");
  }
  EnvelopeSeen payload_seen;
  EnvelopeSeen bare_seen;
  bool saw_payload = false;
  std::shared_ptr<const RowSchemas> schema;
  for_each_field(top, "the top level", [&](std::string_view key, od::value& value) {
    if (key == "payload") {
      if (type_of(value, "payload") == od::json_type::null) {
        invalid("payload is null (a tombstone carries no change)");
      }
      od::object payload = get_object(value, "payload");
      for_each_field(payload, "payload", [&](std::string_view field, od::value& inner) {
        envelope_field(field, inner, event, payload_seen);
      });
      saw_payload = true;
    } else if (key == "schema") {
      if (type_of(value, "schema") != od::json_type::null) {
        od::object object = get_object(value, "schema");
        std::string_view raw;
        check(object.raw_json().get(raw), "schema");
        schema = impl_->row_schemas(raw);
        impl_->remember_schema(raw, schema);
      }
    } else {
      envelope_field(key, value, event, bare_seen);
    }
  });
  check_at_end(document);
  if (saw_payload && bare_seen.any) {
    invalid("ambiguous message: envelope fields both inside payload and at the top level");
  }
  validate(event, saw_payload ? payload_seen : bare_seen);
  if (schema) keep_row_schemas(std::move(schema), event);
}

void EventParser::parse_payload(std::string_view payload_json,
                                std::shared_ptr<const RowSchemas> schema, ChangeEvent& event) {
  event = ChangeEvent{};
  od::document document = impl_->iterate(payload_json);
  od::object payload;
  check(document.get_object().get(payload), "payload");
  EnvelopeSeen seen;
  for_each_field(payload, "payload", [&](std::string_view field, od::value& inner) {
    envelope_field(field, inner, event, seen);
  });
  check_at_end(document);
  validate(event, seen);
  keep_row_schemas(std::move(schema), event);
}

Row EventParser::parse_key(std::string_view json) {
  od::document document = impl_->iterate(json);
  od::value top;
  check(document.get_value().get(top), "the key");
  if (type_of(top, "the key") != od::json_type::object) invalid("the key is not a JSON object");
  std::optional<Row> row;
  parse_row(top, row, "the key");
  check_at_end(document);
  // The converter's envelope when schemas are enabled.
  if (row->size() == 2 && (*row)[0].name == "schema" && (*row)[1].name == "payload" &&
      (*row)[1].value.kind == JsonValue::Kind::object) {
    Row columns;
    for (auto& member : (*row)[1].value.members) {
      columns.push_back(RowField{std::move(member.key), std::move(member.value)});
    }
    return columns;
  }
  return std::move(*row);
}

TransactionMetadata EventParser::parse_transaction_metadata(std::string_view json) {
  TransactionMetadata metadata;
  od::document document = impl_->iterate(json);
  od::object top;
  check(document.get_object().get(top), "the top level");
  bool saw_status = false;
  bool saw_id = false;
  bool saw_payload = false;
  const auto handle = [&](std::string_view key, od::value& value) {
    if (key == "status") {
      const std::string_view status = get_string(value, "status");
      if (status == "BEGIN") {
        metadata.status = TransactionMetadata::Status::begin;
      } else if (status == "END") {
        metadata.status = TransactionMetadata::Status::end;
      } else {
        invalid(fmt::format("unknown transaction status \"{}\" (expected BEGIN or END)",
                            status.substr(0, 40)));
      }
      saw_status = true;
    } else if (key == "id") {
      metadata.id.assign(get_string(value, "id"));
      saw_id = true;
    } else if (key == "ts_ms") {
      metadata.ts_ms = get_optional_int(value, "ts_ms");
    } else if (key == "event_count") {
      metadata.event_count = get_optional_int(value, "event_count");
    } else if (key == "data_collections") {
      if (type_of(value, "data_collections") == od::json_type::null) return;
      od::array array = get_array(value, "data_collections");
      for (auto element_result : array) {
        od::value element;
        check(element_result.get(element), "data_collections");
        od::object object = get_object(element, "data_collections[]");
        auto& count = metadata.data_collections.emplace_back();
        for_each_field(object, "data_collections[]", [&](std::string_view k, od::value& v) {
          if (k == "data_collection") {
            count.data_collection.assign(get_string(v, "data_collections[].data_collection"));
          } else if (k == "event_count") {
            count.event_count = get_int(v, "data_collections[].event_count");
          }
        });
      }
    }
  };
  for_each_field(top, "the top level", [&](std::string_view key, od::value& value) {
    if (key == "payload") {
      od::object payload = get_object(value, "payload");
      for_each_field(payload, "payload", handle);
      saw_payload = true;
    } else if (key != "schema" && !saw_payload) {
      handle(key, value);
    }
  });
  check_at_end(document);
  if (!saw_status) invalid("transaction metadata without status");
  if (!saw_id) invalid("transaction metadata without id");
  if (metadata.status == TransactionMetadata::Status::end && !metadata.event_count) {
    invalid("transaction END without event_count");
  }
  return metadata;
}

}  // namespace tapedeck::transform
