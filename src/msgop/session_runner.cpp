// The per-session replay loop: catch-up, then the paced merge of transactions and RTUS calls.
#include "msgop/session_runner.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <span>
#include <thread>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "core/http/client.hpp"
#include "core/log.hpp"
#include "core/nats/jetstream.hpp"
#include "core/pg/dsn.hpp"
#include "core/progress.hpp"
#include "core/recording/watermarks_table.hpp"
#include "core/session.hpp"
#include "core/sessions/session_database.hpp"
#include "core/sessions/session_events.hpp"
#include "core/sessions/session_store.hpp"
#include "core/stop.hpp"
#include "msgop/catch_up.hpp"
#include "msgop/read_ahead.hpp"
#include "msgop/recording_reader.hpp"
#include "msgop/replay_target.hpp"
#include "msgop/schedule.hpp"

namespace tapedeck::msgop {

namespace {

using namespace std::chrono_literals;
using session::State;

constexpr const char* kTryLock =
    "SELECT pg_try_advisory_lock(hashtextextended('tapedeck.msgop.' || $1, 0))";

// Below this a wait sleeps instead of waiting on the subscription (whose timeout has
// millisecond resolution), so due times are met to well under a millisecond.
constexpr auto kFineWait = 3ms;

// Batches (msgop.batch_statements each) a replay segment reads ahead of the one applied.
constexpr std::size_t kWindowBatchesAhead = 2;

std::string trim_slash(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

// Thrown inside the runner when the session left the runner's hands (ended, failed, stop).
struct Stopped {};

// Thrown inside the replay when a seek goes back before what is applied: the session
// database must be restored again (by dbop, through the init path).
struct SeekBackward {};

constexpr const char* kUnlock =
    "SELECT pg_advisory_unlock(hashtextextended('tapedeck.msgop.' || $1, 0))";

}  // namespace

MsgopMetrics::MsgopMetrics(Metrics& registry)
    : sessions_active(registry.gauge("tapedeck_msgop_sessions_active",
                                     "sessions this msgop is catching up or replaying")),
      sessions_taken(
          registry.counter("tapedeck_msgop_sessions_taken_total", "sessions taken on restore.ok")),
      sessions_reclaimed(registry.counter("tapedeck_msgop_sessions_reclaimed_total",
                                          "restored sessions taken from the sessions table "
                                          "because their restore.ok never came")),
      sessions_restarted(registry.counter("tapedeck_msgop_sessions_restarted_total",
                                          "sessions whose msgop died, handed back to dbop to be "
                                          "restored from where they were")),
      sessions_finished(registry.counter("tapedeck_msgop_sessions_finished_total",
                                         "sessions replayed to their end time")),
      sessions_ended(registry.counter("tapedeck_msgop_sessions_ended_total",
                                      "sessions stopped by an end command")),
      sessions_failed(registry.counter("tapedeck_msgop_sessions_failed_total",
                                       "sessions failed by this msgop")),
      catch_up_statements(registry.counter("tapedeck_msgop_catch_up_statements_total",
                                           "statements applied by catch-up")),
      statements_applied(registry.counter("tapedeck_msgop_statements_applied_total",
                                          "statements applied by paced replay")),
      transactions_applied(registry.counter("tapedeck_msgop_transactions_applied_total",
                                            "transactions applied by paced replay")),
      rtus_calls_sent(registry.counter("tapedeck_msgop_rtus_calls_sent_total",
                                       "recorded RTUS calls sent to the playback RTUS")),
      rtus_call_errors(registry.counter("tapedeck_msgop_rtus_call_errors_total",
                                        "RTUS calls that failed or got a non-2xx answer")),
      behind_seconds(registry.histogram("tapedeck_msgop_behind_seconds",
                                        "how late each replayed item was against its due time")) {}

namespace {
// A store connection holding session `id`'s msgop lock; nullopt while another connection (a
// live msgop) holds it.
std::optional<pg::Connection> lock_session(const RunnerSettings& settings, const std::string& id) {
  pg::Connection store(settings.store_dsn, "tapedeck-msgop");
  if (!store.exec_params(kTryLock, pg::Params::of(id)).get<bool>(0, 0)) return std::nullopt;
  return store;
}
}  // namespace

std::optional<pg::Connection> claim_session(const RunnerSettings& settings, const std::string& id) {
  auto locked = lock_session(settings, id);
  if (!locked) return std::nullopt;
  session::Store sessions(*locked);
  const auto record = sessions.find(id);
  const bool seek_restored = record && record->state == State::seeking && record->seek &&
                             record->seek->restore == "restored";
  if (!record || (record->state != State::catching_up && !seek_restored)) return std::nullopt;
  if (!sessions.heartbeat(id, settings.worker)) return std::nullopt;
  return locked;
}

std::optional<session::Record> restart_abandoned_replay(const RunnerSettings& settings,
                                                        const std::string& id,
                                                        std::chrono::milliseconds stale) {
  // The lock proves no live msgop runs the session (a dead one's went with its connection);
  // held only while the row changes, since dbop restores next.
  auto locked = lock_session(settings, id);
  if (!locked) return std::nullopt;
  return session::Store(*locked).restart_abandoned_replay(id, stale);
}

class SessionRunner::Impl {
 public:
  Impl(RunnerSettings settings, std::string id, pg::Connection claim, nats::Connection& nats,
       const Clock& clock, MsgopMetrics& metrics)
      : settings_(std::move(settings)),
        id_(std::move(id)),
        control_(std::move(claim)),
        sessions_(control_),
        nats_(nats),
        jetstream_(nats),
        clock_(clock),
        metrics_(metrics),
        log_(log::get("msgop")) {}

  void run() noexcept {
    metrics_.sessions_active.add(1);
    try {
      run_session();
    } catch (const Stopped&) {
      // The session left our hands; what to do about it was done where it was noticed.
    } catch (const std::exception& error) {
      fail(error.what());
    }
    metrics_.sessions_active.add(-1);
  }

 private:
  Instant now() const { return std::chrono::time_point_cast<Micros>(clock_.now()); }

  void run_session() {
    // Heartbeats and progress need no WAL flush each (a lost one is only a late heartbeat), and
    // the flush would stall the paced replay on this thread; transitions are made durable
    // (durable_transition).
    control_.exec("SET synchronous_commit = off");
    subscription_.emplace(nats_.subscribe(session::subject(id_, ">")));
    record_ = sessions_.get(id_);
    state_ = record_.state;
    if (!record_.backup) {
      throw Error(ErrorSource::internal, Recovery::fail,
                  "the session has no restored backup (restore_ok without backup details)");
    }
    const auto snapshot = TxidSnapshot::parse(record_.backup->txid_snapshot);
    const auto backup_lsn = Lsn::parse(record_.backup->lsn);
    if (!backup_lsn) {
      throw Error(ErrorSource::internal, Recovery::fail,
                  fmt::format("unreadable backup LSN '{}'", record_.backup->lsn));
    }
    data_.emplace(settings_.store_dsn, "tapedeck-msgop");
    window_reader_.emplace(settings_.store_dsn, "tapedeck-msgop");
    // Their queries are short pages and bounded scans: a parallel plan's worker start-up would
    // cost more than a page (30 ms against 1.7 ms), and so would JIT compilation, which a large
    // store's estimates trigger (catch-up's measure: 7.5 ms against under 1 ms, 10M statements).
    for (pg::Connection* store : {&*data_, &*window_reader_}) {
      store->exec("SET max_parallel_workers_per_gather = 0");
      store->exec("SET jit = off");
    }
    target_.emplace(pg::with_dbname(settings_.playback_dsn, record_.database_name),
                    "tapedeck-msgop");
    // Each replayed transaction commits without waiting for its WAL flush (a flush per
    // transaction would cap paced replay near the disk's fsync rate). Nothing is lost that
    // matters: a server crash breaks this connection and so fails the session, and
    // make_durable() flushes everything before the session is reported ready or finished.
    // As a replica, the session database's triggers and foreign-key actions stay quiet: their
    // effects are recorded already.
    const auto firing = prepare_replay_target(*target_);
    for (const auto& trigger : firing) {
      log_->warn(
          "session {}: trigger {} is ENABLE ALWAYS or ENABLE REPLICA, so it fires on "
          "every replayed change of its table as well; what it writes may differ from "
          "the recording",
          id_, trigger);
    }
    // A firing trigger would see an overwritten UPDATE left out: apply every one then.
    overwritten_ = firing.empty() ? Overwritten::skipped : Overwritten::applied;

    if (auto gap = recording_gap(recording_start(*data_), *backup_lsn)) {
      throw Error(ErrorSource::input, Recovery::fail, *gap);
    }
    backup_lsn_ = *backup_lsn;

    // A session claimed after a backward seek's restore catches up to the seek target.
    const bool seeking = state_ == State::seeking;
    const Instant target = record_.restore_target();
    wait_for_recording(target);
    // The whole window as far as it is recorded; replay checks each later segment again.
    refuse_dead_letters(record_.end ? std::max(*record_.end, target) : target);
    log_->info("session {}: catching up {} from backup {} (snapshot {}, LSN {}) to {}", id_,
               record_.database_name, record_.backup->id, snapshot.str(), backup_lsn->str(),
               session::format_time(target));
    const auto began = clock_.steady_now();
    const CatchUpExtent extent = measure_catch_up(*data_, snapshot, *backup_lsn, target);
    meter_.emplace(seeking ? "seeking" : "catching_up", "statements",
                   static_cast<double>(extent.statements), began);
    moment_reached_ = std::nullopt;
    CatchUpOptions options;
    options.batch_statements = settings_.batch_statements;
    options.overwritten = overwritten_;
    const State working = state_;
    const auto caught =
        catch_up(*data_, *target_, TransactionFilter::catch_up(snapshot, target, extent), options,
                 [&](const CatchUpResult& so_far) {
                   metrics_.catch_up_statements.inc(
                       static_cast<std::uint64_t>(so_far.statements - counted_));
                   counted_ = so_far.statements;
                   statements_done_ = so_far.statements;
                   housekeeping(now());
                   return state_ == working && !stop::requested();
                 });
    if (caught.stopped) handle_departure();
    const double seconds = std::chrono::duration<double>(clock_.steady_now() - began).count();
    log_->info(
        "session {}: caught up {} statements in {} transactions in {:.3f} s ({} of them updates "
        "that a later update or delete of the same row in their apply transaction made void, "
        "left out)",
        id_, caught.statements, caught.transactions, seconds, caught.overwritten);
    settle_sequences();
    make_durable();
    statements_done_ = caught.statements;
    caught_up_statements_ = caught.statements;
    moment_reached_ = target;
    report(now());
    meter_.reset();
    if (seeking) {
      finish_seek(target, seconds);
    } else {
      advance(session::Transition::catch_up_done);
      state_ = State::ready;
      session::publish_event(jetstream_, id_, "ready",
                             {{"statements", caught.statements},
                              {"transactions", caught.transactions},
                              {"catch_up_seconds", seconds}});
    }

    Instant from = target;
    while (true) {
      try {
        replay(from);
        return;
      } catch (const SeekBackward&) {
        hand_over_for_restore();
      }
    }
  }

  // A backward seek: dbop restores the session database again (the init path, which drops
  // and recreates it through core/sessions/session_database) and a msgop claims the session on
  // its restore.ok, as for a new session. This runner lets go of the session first.
  [[noreturn]] void hand_over_for_restore() {
    log_->info("session {}: seek back to {}: the snapshot is restored again", id_,
               session::format_time(record_.seek->to));
    target_.reset();
    durable_call([&] { sessions_.request_seek_restore(id_, settings_.worker); });
    record_ = sessions_.get(id_);
    control_.exec_params(kUnlock, pg::Params::of(id_));
    session::publish_event(
        jetstream_, id_, "init",
        {{"name", record_.name},
         {"start", session::format_time(record_.start)},
         {"seek_to", session::format_time(record_.seek->to)},
         {"database_name", record_.database_name}},
        fmt::format("{}.init.seek.{}", id_, record_.updated_at.time_since_epoch().count()));
    throw Stopped{};
  }

  // The seek reached `to`: the session returns to the state it was in.
  void finish_seek(Instant to, double seconds) {
    try {
      control_.exec("SET synchronous_commit = on");
      record_ = sessions_.finish_seek(id_, settings_.worker);
      control_.exec("SET synchronous_commit = off");
    } catch (const Error& error) {
      control_.exec("SET synchronous_commit = off");
      if (error.recovery() != Recovery::conflict) throw;
      poll(now());
      handle_departure();
    }
    state_ = record_.state;
    log_->info("session {}: at {} after a seek of {:.3f} s; {}", id_, session::format_time(to),
               seconds, session::to_string(state_));
    session::publish_event(jetstream_, id_, "seeked",
                           {{"state", session::to_string(state_)},
                            {"playback_time", session::format_time(to)},
                            {"seek_seconds", seconds}});
  }

  void durable_call(const std::function<void()>& change) {
    control_.exec("SET synchronous_commit = on");
    change();
    control_.exec("SET synchronous_commit = off");
  }

  // --- state ---------------------------------------------------------------------------------

  // Reads the row and moves the playback clock along with it.
  void poll(Instant at) {
    record_ = sessions_.get(id_);
    last_poll_ = clock_.steady_now();
    observe(record_.state, at);
  }

  void observe(State state, Instant at) {
    if (state != state_ || record_.steps_pending > 0) ++changes_;
    state_ = state;
    if (!clock_state_) return;  // still catching up
    auto& clock = *clock_state_;
    if (record_.speed != clock.speed()) {
      // From the next transaction on, with no jump in playback time.
      clock.set_speed(record_.speed, at, last_applied_time_);
      ++changes_;
      log_->info("session {}: speed {}", id_, record_.speed.str());
    }
    if (state == State::playing || state == State::paused) {
      if (clock.state() == PlaybackClock::State::ready) {
        clock.start(at);
        log_->info("session {}: playing at speed {}", id_, clock.speed().str());
      }
      if (state == State::paused && clock.state() == PlaybackClock::State::playing) {
        clock.pause(at);
        log_->info("session {}: paused", id_);
      } else if (state == State::playing && clock.state() == PlaybackClock::State::paused) {
        clock.resume(at);
        log_->info("session {}: resumed", id_);
      }
    }
  }

  // Takes in whatever arrived on the subscription, re-reads the row when a message came or
  // poll_interval passed, and reports progress when it is due.
  void housekeeping(Instant at) {
    bool poke = false;
    while (auto message = subscription_->next(0ms)) poke = poke || is_command(*message);
    const auto steady = clock_.steady_now();
    if (poke || steady - last_poll_ >= settings_.poll_interval) poll(at);
    if (steady - last_progress_ >= settings_.progress_interval) report(at);
  }

  static bool is_command(const nats::Message& message) {
    const auto parsed = session::parse_subject(message.subject());
    if (!parsed) return false;
    const auto& event = parsed->second;
    return event != "progress" && event != "ready";  // our own events need no re-read
  }

  // Waits until `deadline` (wall time), a state change, or a stop; returns true when the
  // deadline was reached with the state unchanged.
  bool wait_until(Instant deadline) {
    const auto before = changes_;
    while (true) {
      if (stop::requested()) return false;
      Instant at = now();
      housekeeping(at);
      if (changes_ != before) return false;
      at = now();
      if (at >= deadline) return true;
      const auto steady = clock_.steady_now();
      auto slice = std::chrono::duration_cast<Micros>(deadline - at);
      slice = std::min(slice, std::chrono::duration_cast<Micros>(settings_.poll_interval -
                                                                 (steady - last_poll_)));
      slice = std::min(slice, std::chrono::duration_cast<Micros>(settings_.progress_interval -
                                                                 (steady - last_progress_)));
      slice = std::max(slice, Micros{0});
      if (slice > kFineWait) {
        const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(slice - 1ms);
        if (auto message = subscription_->next(wait)) {
          if (is_command(*message)) poll(now());
          if (changes_ != before) return false;
        }
      } else {
        std::this_thread::sleep_for(slice);
      }
    }
  }

  // The session is no longer ours to play: ended (drop its database), failed or stopping.
  [[noreturn]] void handle_departure() {
    if (stop::requested() && !session::is_terminal(state_)) {
      fail(fmt::format("msgop {} was stopped while the session was {}", settings_.worker,
                       session::to_string(state_)));
      throw Stopped{};
    }
    if (state_ == State::ended) {
      log_->info("session {}: ended", id_);
      metrics_.sessions_ended.inc();
      if (settings_.drop_on_end) drop_database();
    } else {
      log_->warn("session {}: now {} ({}); stopping", id_, session::to_string(state_),
                 record_.error);
    }
    throw Stopped{};
  }

  // --- paced replay --------------------------------------------------------------------------

  // Replays from `from` (the start, or where a seek went) to the end, or on and on with the
  // recording when the session has no end. A seek forward is applied on the way; a seek back
  // throws SeekBackward.
  void replay(Instant from) {
    clock_state_.emplace(from, record_.speed);
    statements_done_ = 0;
    rtus_done_ = 0;
    last_applied_time_ = from;
    poll(now());
    report(now());  // the row's progress leaves the catch-up phase at once

    // The window is read in segments that the stored recording is proven to cover, so a
    // lagging recording delays the replay (and says so) instead of skipping what is missing.
    const std::optional<Instant> end = record_.end;
    Instant after = from;
    while (!end || after < *end) {
      const Instant until = wait_for_recording(after + Micros{1}, end.value_or(Instant::max()));
      refuse_dead_letters(until);
      replay_segment(after, until, end);
      after = until;
    }
    // Everything is applied; the session finishes when its clock reaches the end time.
    while (true) {
      if (stop::requested() || session::is_terminal(state_)) handle_departure();
      if (state_ == State::seeking) {
        // Nothing is left before the end: a seek forward has nothing more to apply.
        if (record_.seek->to < last_applied_time_) throw SeekBackward{};
        arrive_at(record_.seek->to);
        continue;
      }
      if (state_ == State::paused && record_.steps_pending > 0) {
        // Nothing is left to step through.
        sessions_.steps_done(id_, record_.steps_pending);
        record_.steps_pending = 0;
        report(now());
        continue;
      }
      if (state_ != State::playing) {
        wait_until(Instant::max());
        continue;
      }
      if (wait_until(clock_state_->due(*end))) break;
    }
    last_applied_time_ = *end;
    settle_sequences();
    make_durable();
    report(now());
    advance(session::Transition::finish);
    session::publish_event(jetstream_, id_, "finished",
                           {{"statements_applied", statements_done_},
                            {"rtus_calls_sent", rtus_done_},
                            {"playback_time", session::format_time(*end)}});
    metrics_.sessions_finished.inc();
    log_->info("session {}: finished: {} statements, {} RTUS calls replayed", id_, statements_done_,
               rtus_done_);
  }

  // Fails the session when a change it would need through `through` was dead-lettered.
  void refuse_dead_letters(Instant through) {
    if (auto reason = dead_letters_in_window(*data_, backup_lsn_, through)) {
      throw Error(ErrorSource::input, Recovery::fail, *reason);
    }
  }

  // Replays the transactions and RTUS calls of (after, until] at their due times; `end` is the
  // session's end (none: the totals count what is recorded so far). While seeking forward it
  // applies everything up to the target at once (RTUS calls are not sent: like catch-up, a
  // seek rebuilds the database, it does not replay the calls); while paused with steps asked
  // for, it applies the next transactions one by one.
  void replay_segment(Instant after, Instant until, std::optional<Instant> end) {
    const WindowExtent segment = measure_window(*data_, after, until);
    statements_total_ =
        statements_done_ + measure_window(*data_, after, end.value_or(until)).statements;
    if (!settings_.rtus_url.empty()) {
      rtus_total_ = rtus_done_ + count_rtus_calls(*data_, after, end.value_or(until));
    }
    // Read on a thread of its own, ahead of the clock, so that a slow page never delays a
    // transaction that is due.
    ReadAhead transactions(*window_reader_, TransactionFilter::window(after, until, segment),
                           settings_.batch_statements, kWindowBatchesAhead);
    std::optional<RtusCallReader> calls;
    if (!settings_.rtus_url.empty()) calls.emplace(*data_, after, until);
    std::optional<RecordedTransaction> transaction = transactions.next();
    std::optional<RtusCall> call = calls ? calls->next() : std::nullopt;

    while (true) {
      if (stop::requested() || session::is_terminal(state_)) handle_departure();
      const bool take_call =
          call && (!transaction || Instant{Micros{call->time_us}} < transaction->commit_time);
      if (state_ == State::seeking) {
        const Instant to = record_.seek->to;
        if (to < last_applied_time_) throw SeekBackward{};
        if (!seek_meter_) begin_seek_forward(to);
        if (take_call && Instant{Micros{call->time_us}} <= to) {
          call = calls->next();  // a seek does not send RTUS calls
          continue;
        }
        if (transaction && transaction->commit_time <= to) {
          apply_up_to(to, transaction, transactions);
          housekeeping(now());
          continue;
        }
        if (until < to) return;  // the next segment holds the rest
        arrive_at(to);
        continue;
      }
      if (!transaction && !call) break;
      if (state_ == State::paused && record_.steps_pending > 0) {
        if (take_call) {
          send(*call);
          last_applied_time_ = Instant{Micros{call->time_us}};
          call = calls->next();
        } else {
          step(*transaction);
          transaction = transactions.next();
        }
        continue;
      }
      if (state_ != State::playing) {
        wait_until(Instant::max());
        continue;
      }
      const Instant at = take_call ? Instant{Micros{call->time_us}} : transaction->commit_time;
      if (!wait_until(clock_state_->due(at))) continue;  // state changed: decide again
      const Instant applied = now();
      if (take_call) {
        send(*call);
        call = calls->next();
        observe_behind(applied, at);
        last_applied_time_ = at;
      } else {
        apply_due(applied, transaction, transactions,
                  call ? std::optional(Instant{Micros{call->time_us}}) : std::nullopt);
      }
    }
  }

  // Applies `transaction` and those after it that are due by `applied` too (up to kDueBatch,
  // and none committed after `next_call`, which goes first), each its own apply transaction as
  // recorded, in shared round trips: a replay behind its clock (at 10x, say) catches up on
  // round trips instead of falling further behind.
  void apply_due(Instant applied, std::optional<RecordedTransaction>& transaction,
                 ReadAhead& transactions, std::optional<Instant> next_call) {
    constexpr std::size_t kDueBatch = 256;
    due_.clear();
    std::int64_t statements = 0;
    do {
      statements += static_cast<std::int64_t>(transaction->statements.size());
      due_.push_back(std::move(*transaction));
      transaction = transactions.next();
    } while (transaction && due_.size() < kDueBatch && statements < settings_.batch_statements &&
             clock_state_->due(transaction->commit_time) <= applied &&
             !(next_call && *next_call < transaction->commit_time));
    apply_transactions(*target_, due_, Inserts::one_by_one, Commits::each);
    statements_done_ += statements;
    metrics_.statements_applied.inc(static_cast<std::uint64_t>(statements));
    metrics_.transactions_applied.inc(due_.size());
    for (const auto& applied_transaction : due_)
      observe_behind(applied, applied_transaction.commit_time);
    last_applied_time_ = due_.back().commit_time;
  }

  void observe_behind(Instant applied, Instant at) {
    const Micros behind = clock_state_->behind(applied, at);
    behind_ms_ = std::chrono::duration_cast<std::chrono::milliseconds>(behind).count();
    metrics_.behind_seconds.observe(std::chrono::duration<double>(behind).count());
  }

  // --- seeking forward and stepping --------------------------------------------------------

  void begin_seek_forward(Instant to) {
    log_->info("session {}: seek forward from {} to {}", id_,
               session::format_time(last_applied_time_), session::format_time(to));
    seek_began_ = clock_.steady_now();
    seek_statements_ = 0;
    // Applied at full speed like a catch-up, statements prepared by shape: afresh for each seek,
    // so that nothing prepared outlives a DDL that paced replay applies in between.
    target_->exec("DEALLOCATE ALL");
    seek_shapes_.emplace();
    seek_meter_.emplace(
        "seeking", "statements",
        static_cast<double>(measure_window(*data_, last_applied_time_, to).statements),
        seek_began_);
  }

  // Applies `transaction` and the following ones committed at or before `to`, a batch of
  // batch_statements at a time (whole source transactions), at full speed.
  void apply_up_to(Instant to, std::optional<RecordedTransaction>& transaction,
                   ReadAhead& transactions) {
    std::vector<RecordedTransaction> batch;
    std::int64_t statements = 0;
    Instant reached = last_applied_time_;
    while (transaction && transaction->commit_time <= to &&
           statements < settings_.batch_statements) {
      statements += static_cast<std::int64_t>(transaction->statements.size());
      reached = transaction->commit_time;
      batch.push_back(std::move(*transaction));
      transaction = transactions.next();
    }
    apply_at_full_speed(*target_, batch, *seek_shapes_, overwritten_);
    statements_done_ += statements;
    seek_statements_ += statements;
    metrics_.statements_applied.inc(static_cast<std::uint64_t>(statements));
    metrics_.transactions_applied.inc(batch.size());
    last_applied_time_ = reached;
  }

  // The seek forward is at `to`: the playback clock continues from there and the session
  // returns to the state it was in.
  void arrive_at(Instant to) {
    const double seconds =
        seek_meter_ ? std::chrono::duration<double>(clock_.steady_now() - seek_began_).count() : 0;
    last_applied_time_ = to;
    make_durable();
    seek_meter_.reset();
    if (seek_shapes_) {
      seek_shapes_.reset();
      target_->exec("DEALLOCATE ALL");
    }
    // The row shows the target reached while it still says `seeking`, so no reader sees the
    // state returned to beside the time the seek left.
    clock_state_->rebase(to, now());
    report(now());
    finish_seek(to, seconds);
    // The clock takes the state returned to (a pause made while seeking included) before it
    // is put at the target, so a paused session stays exactly there.
    observe(state_, now());
    clock_state_->rebase(to, now());
    report(now());
    ++changes_;
  }

  // One step of a paused session: the next transaction, applied now; the clock stays paused
  // at its commit time, which is the moment reached.
  void step(const RecordedTransaction& transaction) {
    apply(transaction);
    last_applied_time_ = transaction.commit_time;
    clock_state_->rebase(transaction.commit_time, now());
    sessions_.steps_done(id_, 1);
    --record_.steps_pending;
    report(now());
  }

  // --- the recording's reach -----------------------------------------------------------------

  // Waits until the stored recording covers `needed` (every transaction committed up to then is
  // stored), showing in the session row how far it is; returns how far it is proven complete,
  // at most `limit`. Commands (end, pause) are taken meanwhile.
  Instant wait_for_recording(Instant needed, Instant limit = Instant::max()) {
    needed = std::min(needed, limit);
    bool logged = false;
    while (true) {
      recorded_until_ = recording::watermarks::recorded_until(*data_, settings_.watermark_name);
      if (recorded_until_ && *recorded_until_ >= needed) break;
      if (!logged) {
        const auto held = recording::watermarks::held(*data_, settings_.watermark_name);
        log_->warn("session {}: waiting for the recording to reach {} (stored up to {}); {}", id_,
                   session::format_time(needed),
                   recorded_until_ ? session::format_time(*recorded_until_) : "nothing",
                   held.empty() ? std::string("is transform behind?")
                                : fmt::format("transform holds it before the transaction at "
                                              "commit {}, stored with messages missing, until "
                                              "they arrive (tapedeck statements stats)",
                                              held.front().str()));
        logged = true;
      }
      if (!waiting_for_recording_) {
        waiting_for_recording_ = true;
        report(now());
      }
      wait_until(now() + std::chrono::duration_cast<Micros>(settings_.poll_interval));
      if (stop::requested() || session::is_terminal(state_)) handle_departure();
    }
    if (logged)
      log_->info("session {}: the recording reached {}", id_, session::format_time(needed));
    if (waiting_for_recording_) {
      waiting_for_recording_ = false;
      report(now());
    }
    return std::min(*recorded_until_, limit);
  }

  void apply(const RecordedTransaction& transaction) {
    apply_transactions(*target_, std::span(&transaction, 1));
    statements_done_ += static_cast<std::int64_t>(transaction.statements.size());
    metrics_.statements_applied.inc(transaction.statements.size());
    metrics_.transactions_applied.inc();
  }

  // Replayed inserts carry their keys, so the sequences restored with the snapshot stay behind;
  // a user inserting into the session database must not collide with a replayed row.
  void settle_sequences() {
    const int moved = advance_owned_sequences(*target_);
    if (moved > 0) log_->info("session {}: {} sequences moved past replayed rows", id_, moved);
  }

  // One synchronous commit flushes the WAL up to it, so every asynchronous commit before it is
  // on disk too.
  void make_durable() {
    target_->exec(
        "SET synchronous_commit = on; BEGIN; SELECT pg_current_xact_id(); COMMIT; "
        "SET synchronous_commit = off");
  }

  void send(const RtusCall& call) {
    http::Request request;
    request.method = call.method;
    request.url = trim_slash(settings_.rtus_url) + call.path;
    for (const auto& [name, value] : call.headers) request.headers.add(name, value);
    request.body = call.body;
    request.connect_timeout = settings_.rtus_timeout;
    request.total_timeout = settings_.rtus_timeout;
    ++rtus_done_;
    try {
      const auto response = http_.send(request);
      if (!response.ok()) {
        metrics_.rtus_call_errors.inc();
        log_->warn("session {}: RTUS call {} {} {} answered {}", id_, call.id, call.method,
                   call.path, response.status);
        return;
      }
      metrics_.rtus_calls_sent.inc();
    } catch (const Error& error) {
      // The playback RTUS being down must not stop the database replay; it is counted.
      metrics_.rtus_call_errors.inc();
      log_->warn("session {}: RTUS call {} {} {} failed: {}", id_, call.id, call.method, call.path,
                 error.what());
    }
  }

  // Progress: the row (which is also the heartbeat) and the `progress` event.
  void report(Instant at) {
    last_progress_ = clock_.steady_now();
    session::Progress progress;
    std::optional<Instant> playback;
    if (clock_state_) {
      playback = clock_state_->playback_time(at);
      if (!playback) playback = last_applied_time_;  // speed max
      if (record_.end) playback = std::min(*playback, *record_.end);
      // A moment counts as reached only once the recording is proven to cover it.
      if (recorded_until_)
        playback = std::min(*playback, std::max(*recorded_until_, clock_state_->session_start()));
    } else if (moment_reached_) {
      playback = moment_reached_;  // caught up: the database is at that moment
    }
    progress.playback_time = playback;
    progress.statements_applied = statements_done_;
    progress.statements_left = std::max<std::int64_t>(statements_total_ - statements_done_, 0);
    // Until the replay starts, the row shows what catch-up applied.
    if (clock_state_ && clock_state_->state() == PlaybackClock::State::ready && !seek_meter_) {
      progress.statements_applied = caught_up_statements_;
    }
    progress.rtus_calls_sent = rtus_done_;
    progress.rtus_calls_left = std::max<std::int64_t>(rtus_total_ - rtus_done_, 0);
    progress.behind_ms = behind_ms_;
    progress.recorded_until = recorded_until_;
    progress.waiting_for_recording = waiting_for_recording_;
    progress.phase = phase_progress(playback);
    if (!sessions_.report_progress(id_, progress, settings_.worker)) {
      poll(at);  // ended or failed meanwhile
      return;
    }
    nlohmann::json fields = {{"state", session::to_string(state_)},
                             {"statements_applied", progress.statements_applied},
                             {"statements_left", progress.statements_left},
                             {"rtus_calls_sent", progress.rtus_calls_sent},
                             {"rtus_calls_left", progress.rtus_calls_left},
                             {"behind_ms", progress.behind_ms},
                             {"progress", progress.phase->to_json()}};
    if (playback) {
      fields["playback_time"] = session::format_time(*playback);
      if (progress.phase->eta_seconds) fields["eta_seconds"] = *progress.phase->eta_seconds;
    }
    session::publish_event(jetstream_, id_, "progress", std::move(fields));
  }

  // The current phase: catching up or seeking (statements of the total), else the playback
  // (seconds of the session's window played, at the speed's rate while playing).
  session::PhaseProgress phase_progress(std::optional<Instant> playback) const {
    const auto steady = clock_.steady_now();
    if (meter_) return meter_->at(static_cast<double>(statements_done_), steady, moment_reached_);
    if (seek_meter_) {
      return seek_meter_->at(static_cast<double>(seek_statements_), steady, last_applied_time_);
    }
    session::PhaseProgress phase;
    phase.unit = "seconds";
    phase.phase = state_ == State::ready ? "ready" : state_ == State::paused ? "paused" : "playing";
    phase.moment_reached = playback;
    if (!playback) return phase;
    phase.done = std::max(std::chrono::duration<double>(*playback - record_.start).count(), 0.0);
    if (record_.end)
      phase.total = std::chrono::duration<double>(*record_.end - record_.start).count();
    std::optional<double> rate;
    if (state_ == State::playing && !record_.speed.is_max()) {
      rate = static_cast<double>(record_.speed.millionths()) /
             static_cast<double>(session::Speed::one);
    } else if (state_ == State::paused) {
      rate = 0.0;
    }
    return session::with_rate(std::move(phase), rate);
  }

  // A transition committed with a WAL flush, as every state change must survive a crash.
  void durable_transition(session::Transition transition,
                          const session::TransitionDetails& details) {
    control_.exec("SET synchronous_commit = on");
    sessions_.transition(id_, transition, details);
    control_.exec("SET synchronous_commit = off");
  }

  // Applies our own transition; when the row moved on meanwhile (ended, failed), handles that.
  void advance(session::Transition transition) {
    try {
      durable_transition(transition, session::TransitionDetails::by(settings_.worker));
    } catch (const Error& error) {
      if (error.recovery() != Recovery::conflict) throw;
      poll(now());
      handle_departure();
    }
  }

  // --- endings -------------------------------------------------------------------------------

  void drop_database() {
    target_.reset();
    try {
      pg::Connection admin(settings_.playback_dsn, "tapedeck-msgop");
      session::drop_database_if_exists(admin, record_.database_name);
      log_->info("session {}: dropped database {}", id_, record_.database_name);
    } catch (const Error& error) {
      log_->warn("session {}: could not drop database {}: {}", id_, record_.database_name,
                 error.what());
    }
  }

  void fail(const std::string& reason) noexcept {
    log_->error("session {}: failed: {}", id_, reason);
    metrics_.sessions_failed.inc();
    try {
      durable_transition(session::Transition::fail, session::TransitionDetails::failure(reason));
    } catch (const std::exception& error) {
      log_->warn("session {}: could not mark it failed: {}", id_, error.what());
      return;
    }
    try {
      session::publish_event(jetstream_, id_, "failed", {{"reason", reason}});
    } catch (const std::exception& error) {
      log_->warn("session {}: could not publish `failed`: {}", id_, error.what());
    }
  }

  RunnerSettings settings_;
  std::string id_;
  pg::Connection control_;  // holds the session's advisory lock; row reads and updates
  session::Store sessions_;
  nats::Connection& nats_;
  nats::JetStream jetstream_;
  const Clock& clock_;
  MsgopMetrics& metrics_;
  std::shared_ptr<spdlog::logger> log_;
  std::optional<nats::Subscription> subscription_;
  std::optional<pg::Connection> data_;           // reads the recording
  std::optional<pg::Connection> window_reader_;  // lent to a replay segment's ReadAhead
  std::optional<pg::Connection> target_;         // the session database
  http::Client http_;

  session::Record record_;
  State state_ = State::catching_up;
  std::optional<PlaybackClock> clock_state_;
  std::chrono::steady_clock::time_point last_poll_{};
  std::chrono::steady_clock::time_point last_progress_{};
  std::int64_t counted_ = 0;
  std::int64_t statements_total_ = 0;
  std::int64_t rtus_total_ = 0;
  std::int64_t statements_done_ = 0;
  std::int64_t caught_up_statements_ = 0;
  std::int64_t rtus_done_ = 0;
  std::int64_t behind_ms_ = 0;
  std::vector<RecordedTransaction> due_;  // apply_due's batch, its capacity kept
  Instant last_applied_time_{};
  // Progress of the phase under way: catch-up (meter_) or a seek forward (seek_meter_).
  std::optional<session::PhaseMeter> meter_;
  std::optional<session::PhaseMeter> seek_meter_;
  std::optional<PreparedShapes> seek_shapes_;       // while a seek forward applies
  Overwritten overwritten_ = Overwritten::applied;  // skipped unless a trigger fires
  std::chrono::steady_clock::time_point seek_began_{};
  std::int64_t seek_statements_ = 0;
  std::optional<Instant> moment_reached_;
  Lsn backup_lsn_;  // the restored snapshot's
  // Bumped by every change a wait must wake up for: state, speed, steps asked for.
  std::uint64_t changes_ = 0;
  std::optional<Instant> recorded_until_;  // how far the stored recording is proven complete
  bool waiting_for_recording_ = false;
};

SessionRunner::SessionRunner(RunnerSettings settings, std::string id, pg::Connection claim,
                             nats::Connection& nats, const Clock& clock, MsgopMetrics& metrics)
    : impl_(std::make_unique<Impl>(std::move(settings), std::move(id), std::move(claim), nats,
                                   clock, metrics)) {}

SessionRunner::~SessionRunner() = default;

void SessionRunner::run() noexcept {
  impl_->run();
}

}  // namespace tapedeck::msgop
