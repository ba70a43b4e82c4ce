// Message classification, placement, rendering and dead-lettering.
#include "transform/event_processor.hpp"

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/log.hpp"
#include "core/rtus_call.hpp"
#include "transform/schema_change.hpp"

namespace tapedeck::transform {

EventProcessor::EventProcessor(ProcessorOptions options, TableSource& tables)
    : options_(std::move(options)),
      tables_(tables),
      // The size check comes first, here; the parser's own limit only backs it up.
      parser_(ParseOptions{options_.max_message_bytes}),
      renderer_(options_.decode),
      transaction_subject_(options_.prefix + ".transaction"),
      rtus_subject_(options_.prefix + ".rtus"),
      message_subject_(options_.prefix + ".message") {}

Outcome EventProcessor::process(const InMessage& message, Batch& batch) {
  letter_commit_lsn_.reset();
  letter_commit_time_us_.reset();
  std::optional<CaptureMessageId> capture_id;
  if (message.message_id) capture_id = parse_capture_message_id(*message.message_id);
  check_transaction(message, capture_id, batch);
  if (message.data.size() > options_.max_message_bytes) {
    return dead_letter(message,
                       fmt::format("message of {} bytes is larger than transform.max_message_bytes "
                                   "({}); raise it if such events are expected",
                                   message.data.size(), options_.max_message_bytes),
                       batch);
  }
  if (message.subject == transaction_subject_) {
    return transaction_metadata(message, capture_id, batch);
  }
  if (message.subject == rtus_subject_) return rtus_call(message, batch);
  if (message.subject == message_subject_) return Outcome::skipped;  // op m: changes no table
  if (message.data.empty()) return Outcome::skipped;                 // a tombstone
  return change_event(message, capture_id, batch);
}

void EventProcessor::check_transaction(const InMessage& message,
                                       const std::optional<CaptureMessageId>& capture_id,
                                       Batch& batch) {
  check_.delivered(message.consumer_sequence);
  if (!capture_id || message.subject == rtus_subject_) return;
  TransactionCheck::Kind kind = TransactionCheck::Kind::event;
  if (message.subject == transaction_subject_) {
    // By position, not by parsing: a malformed END still closes its transaction.
    kind = capture_id->position == 0 ? TransactionCheck::Kind::begin : TransactionCheck::Kind::end;
  } else if (message.subject == message_subject_) {
    if (capture_id->position == 0) return;  // a message outside any transaction
    kind = TransactionCheck::Kind::message;
  }
  for (auto& change : check_.message(capture_id->commit_lsn, capture_id->position, kind)) {
    if (change.kind == HoldChange::Kind::hold) {
      log::get("transform")
          ->warn(
              "the capture transaction at commit {} arrived without its messages at "
              "positions {}: the watermark stays before it until they arrive (capture sends "
              "them again from its slot after the publish that failed)",
              change.commit_lsn.str(), change.missing.str());
    }
    batch.add_hold_change(std::move(change));
  }
}

Outcome EventProcessor::dead_letter(const InMessage& message, std::string reason, Batch& batch) {
  last_reason_ = reason;
  batch.add_dead_letter(DeadLetter{message.stream_sequence, std::string(message.subject),
                                   std::string(message.data), std::move(reason), letter_commit_lsn_,
                                   letter_commit_time_us_});
  return Outcome::dead_letter;
}

Outcome EventProcessor::transaction_metadata(const InMessage& message,
                                             const std::optional<CaptureMessageId>& capture_id,
                                             Batch& batch) {
  TransactionMetadata metadata;
  try {
    metadata = parser_.parse_transaction_metadata(message.data);
  } catch (const Error& error) {
    if (error.recovery() != Recovery::invalid) throw;
    return dead_letter(message, fmt::format("transaction metadata: {}", error.message()), batch);
  }
  // Debezium Server's ENDs have nothing to place them in the stream by.
  if (capture_id && metadata.status == TransactionMetadata::Status::end) {
    ends_.push_back(EndEvent{message.stream_sequence, capture_id->commit_lsn});
  }
  return Outcome::transaction_metadata;
}

Outcome EventProcessor::rtus_call(const InMessage& message, Batch& batch) {
  RtusCall call;
  try {
    call = parse_rtus_call(message.data);
  } catch (const Error& error) {
    if (error.recovery() != Recovery::invalid) throw;
    return dead_letter(message, error.message(), batch);
  }
  if (call.id.empty()) {
    call.id = message.message_id ? *message.message_id
                                 : fmt::format("{}:{}", message.stream, message.stream_sequence);
  }
  batch.add_rtus_call(std::move(call));
  return Outcome::rtus_call;
}

Outcome EventProcessor::change_event(const InMessage& message,
                                     const std::optional<CaptureMessageId>& capture_id,
                                     Batch& batch) {
  // Which placement: capture's (message id + commit LSN header), or Debezium Server's.
  if (message.commit_lsn && !capture_id) {
    return dead_letter(message,
                       fmt::format("header Tapedeck-Commit-Lsn is set but Nats-Msg-Id \"{}\" is "
                                   "not \"<commit lsn>:<position>\"",
                                   message.message_id.value_or("").substr(0, 100)),
                       batch);
  }
  if (capture_id) letter_commit_lsn_ = capture_id->commit_lsn;

  try {
    parser_.parse_change_event(message.data, event_);
  } catch (const Error& error) {
    if (error.recovery() != Recovery::invalid) throw;
    return dead_letter(message, error.message(), batch);
  }
  if (event_.op == Op::message) return Outcome::skipped;
  letter_commit_time_us_ = commit_time_us(event_.source);
  try {
    if (event_.op == Op::remove && message.new_key) {
      event_.new_key = parser_.parse_key(*message.new_key);
    }
    event_.key_moved_here = event_.op == Op::create && message.old_key.has_value();
    EventPlacement placement =
        capture_id ? place_capture_event(*message.message_id,
                                         message.commit_lsn
                                             ? std::optional<std::string_view>(*message.commit_lsn)
                                             : std::nullopt)
                   : placer_.place(event_);
    letter_commit_lsn_ = placement.commit_lsn;
    if (!event_.source.tx_id) {
      throw Error(ErrorSource::input, Recovery::invalid,
                  "the event has no source.txId, so its transaction cannot be recorded");
    }
    const Xid xid =
        widen_xid(static_cast<std::uint64_t>(*event_.source.tx_id), tables_.reference_xid());

    const std::string& schema = event_.source.schema;
    const std::string& table = event_.source.table;
    if (is_schema_changes_table(schema, table)) return schema_change(placement, xid, batch);
    tables_.note_schema(schema, table, event_.schema.get());
    // The shape the table had when it last changed, when a schema change recorded it; else
    // the Live DB's catalog now.
    const auto recorded = shapes_.find(std::make_pair(schema, table));
    auto info = recorded != shapes_.end() ? recorded->second : tables_.find(schema, table);
    try {
      renderer_.render(event_, info.get(), rendered_);
    } catch (const Error& error) {
      if (error.recovery() != Recovery::not_found) throw;
      // A column the cached definition does not know: the table changed since it was read
      // (by a change no event trigger recorded, when the shape is a recorded one).
      tables_.refresh(schema, table);
      info = tables_.find(schema, table);
      renderer_.render(event_, info.get(), rendered_);
    }
    if (rendered_.skipped) return Outcome::skipped;
    batch.add_statement(StatementRow{placement.event_id, placement.commit_lsn, placement.position,
                                     xid, commit_time_us(event_.source), schema, table,
                                     static_cast<char>(event_.op), rendered_.sql});
    return Outcome::statement;
  } catch (const Error& error) {
    if (error.recovery() != Recovery::invalid && error.recovery() != Recovery::not_found) throw;
    if (error.source() != ErrorSource::input) throw;
    return dead_letter(message, error.message(), batch);
  }
}

Outcome EventProcessor::schema_change(const EventPlacement& placement, Xid xid, Batch& batch) {
  // Only the triggers' INSERTs are changes; anything else done to the table is not replayed.
  if (event_.op != Op::create) return Outcome::skipped;
  const SchemaChange change = parse_schema_change(event_);
  // The statement first: a refused one throws before any shape moves.
  if (change.kind == SchemaChange::Kind::ddl) {
    std::string sql = replay_statement(change);
    for (const auto& shape : change.shapes) {
      const auto previous =
          shapes_.find(std::make_pair(shape.table->schema(), shape.table->table()));
      sql += added_column_fills(previous == shapes_.end() ? nullptr : previous->second.get(),
                                *shape.table);
    }
    batch.add_statement(StatementRow{placement.event_id, placement.commit_lsn, placement.position,
                                     xid, commit_time_us(event_.source), event_.source.schema,
                                     event_.source.table, kSchemaChangeOp, sql});
  }
  for (const auto& [schema, table] : change.dropped) {
    shapes_.erase(std::make_pair(schema, table));
    batch.add_shape_change(ShapeChange{schema, table, std::nullopt, placement.commit_lsn});
  }
  for (const auto& shape : change.shapes) {
    const auto& info = *shape.table;
    shapes_[std::make_pair(info.schema(), info.table())] = shape.table;
    batch.add_shape_change(
        ShapeChange{info.schema(), info.table(), shape.json, placement.commit_lsn});
  }
  return Outcome::schema_change;
}

void EventProcessor::load_shapes(
    const std::vector<std::tuple<std::string, std::string, std::string>>& shapes) {
  shapes_.clear();
  for (const auto& [schema, table, json] : shapes) {
    shapes_[std::make_pair(schema, table)] = parse_table_shape(json).table;
  }
}

std::shared_ptr<const TableInfo> EventProcessor::recorded_shape(const std::string& schema,
                                                                const std::string& table) const {
  const auto found = shapes_.find(std::make_pair(schema, table));
  return found == shapes_.end() ? nullptr : found->second;
}

}  // namespace tapedeck::transform
