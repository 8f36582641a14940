#include "persistence/pg_pipeline.hpp"

#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include <libpq-fe.h>

namespace svc {

// One thing the server will send back, in the order it was asked for: a
// statement's results (ended by libpq's NULL), or a sync point.
struct pg_pipeline::expected {
  enum class kind { statement, sync } what;
  pg_completion done;  // empty for the connection's own set-up statements
  pg_outcome outcome;
  clock::time_point submitted{};
  // A statement that shares its sync with others (sent in a batch): kept, to
  // be sent again when the batch fails before it has run (a quick read) or at
  // all (a write committed together: none of the batch was committed then).
  std::optional<db_statement> batched{};
  bool aborted = false;
};

// A write of a batch whose results are in, waiting for the batch's sync: its
// outcome counts only once the commit is known.
struct pg_pipeline::settling {
  db_statement statement;
  pg_completion done;
  clock::time_point submitted;
  pg_outcome outcome;
};

namespace {

std::string error_text(const PGconn* conn) {
  std::string text = conn ? PQerrorMessage(conn) : "out of memory";
  while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
    text.pop_back();
  return text;
}

// Quick reads in one batch at most (by primary key: a few hundred bytes each).
constexpr std::size_t max_batch = 16;

pg_outcome connection_lost(const std::string& why) {
  pg_outcome lost;
  lost.ok = false;
  lost.connection_lost = true;
  lost.message = why;
  return lost;
}

}  // namespace

pg_pipeline::pg_pipeline(const statement_catalog& catalog,
                         std::chrono::milliseconds statement_timeout)
    : catalog_(catalog), statement_timeout_(statement_timeout) {
}

pg_pipeline::~pg_pipeline() {
  close("connection closed");
}

void pg_pipeline::connect(const std::string& conninfo) {
  close("reconnecting");
  conn_ = PQconnectStart(conninfo.c_str());
  if (conn_ == nullptr || PQstatus(conn_) == CONNECTION_BAD) {
    fail(error_text(conn_));
    return;
  }
  state_ = state::connecting;
  state_since_ = clock::now();
  // libpq's rule: the first poll waits for the socket to be writable.
  connect_poll_ = PGRES_POLLING_WRITING;
  want_write_ = true;
}

int pg_pipeline::socket() const {
  return conn_ ? PQsocket(conn_) : -1;
}

bool pg_pipeline::wants_read() const {
  if (state_ == state::connecting)
    return connect_poll_ == PGRES_POLLING_READING;
  // Always, when connected: an idle connection the server closes (restart,
  // pg_terminate_backend) reads ready, and is replaced before a statement is
  // spent on it.
  return state_ == state::ready;
}

pg_pipeline::clock::time_point pg_pipeline::oldest_submitted() const {
  // Writes waiting for their batch's commit were sent before what is expected.
  if (!settling_.empty())
    return settling_.front().submitted;
  for (const auto& e : expected_)
    if (e.done)
      return e.submitted;
  if (!held_.empty())
    return held_.front().submitted;
  return waiting_.empty() ? clock::now() : waiting_.front().submitted;
}

void pg_pipeline::advance() {
  if (state_ == state::connecting) {
    connect_poll_ = PQconnectPoll(conn_);
    want_write_ = connect_poll_ == PGRES_POLLING_WRITING;
    if (connect_poll_ == PGRES_POLLING_FAILED)
      fail(error_text(conn_));
    else if (connect_poll_ == PGRES_POLLING_OK)
      finish_connect();
    return;
  }
  if (state_ != state::ready)
    return;
  if (PQconsumeInput(conn_) == 0) {
    fail(error_text(conn_));
    return;
  }
  read_results();
  if (state_ == state::ready && wants_write())
    flush();
  if (state_ == state::ready && PQstatus(conn_) == CONNECTION_BAD)
    fail(error_text(conn_));
}

void pg_pipeline::finish_connect() {
  if (PQsetnonblocking(conn_, 1) != 0 || PQenterPipelineMode(conn_) != 1 || !send_setup()) {
    fail(error_text(conn_));
    return;
  }
  state_ = state::ready;
  state_since_ = clock::now();
  auto waiting = std::move(waiting_);
  waiting_.clear();
  for (auto& w : waiting) {
    if (state_ != state::ready) {  // a send failed: the connection is gone
      w.done(connection_lost(last_error_));
      continue;
    }
    dispatch(std::move(w));
  }
  flush();
}

bool pg_pipeline::send_setup() {
  if (catalog_.mode() != statement_mode::prepared)
    return true;
  // A hung statement must not hold the connection forever. Only on a session of
  // our own: behind a transaction-mode pooler (statement_mode::unnamed) the SET
  // would land on a server connection other clients share next; there the
  // timeout is the database role's (README, DB pool).
  const auto timeout = "SET statement_timeout = " + std::to_string(statement_timeout_.count());
  if (PQsendQueryParams(conn_, timeout.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0) != 1)
    return false;
  expected_.push_back({expected::kind::statement, {}, {}, {}});
  for (const auto& st : catalog_.statements()) {
    if (PQsendPrepare(conn_, st.name.c_str(), st.sql.c_str(), 0, nullptr) != 1)
      return false;
    expected_.push_back({expected::kind::statement, {}, {}, {}});
  }
  if (PQpipelineSync(conn_) != 1)
    return false;
  expected_.push_back({expected::kind::sync, {}, {}, {}});
  return true;
}

void pg_pipeline::submit(const db_statement& statement, pg_completion done) {
  const auto now = clock::now();
  if (state_ == state::connecting) {
    ++pending_statements_;
    waiting_.push_back({statement, std::move(done), now});
    return;
  }
  if (state_ != state::ready) {
    done(connection_lost(last_error_.empty() ? "not connected" : last_error_));
    return;
  }
  ++pending_statements_;
  dispatch({statement, std::move(done), now});
}

void pg_pipeline::dispatch(queued q) {
  unflushed_ = true;
  if (q.statement.batch != db_statement::batching::alone) {
    if (q.statement.batch == db_statement::batching::committed_together)
      ++held_writes_;
    held_.push_back(std::move(q));  // sent by flush(), in a batch
    // A full batch goes now. Its statements then stay well inside the 8 kB at
    // which libpq sends part of its buffer by itself, ahead of the sync.
    // (A failed send has answered them all.)
    if (held_.size() >= max_batch)
      send_held();
    return;
  }
  // What is held so far goes first, under its own sync: this statement must not
  // join that transaction (and abort it, or hold back its answers).
  if (!send_held()) {
    q.done(connection_lost(last_error_));  // fail() answered all the others
    return;
  }
  // A write, or a read that may be slow: a sync right after it, so that it
  // commits on its own (autocommit), a failing one aborts none of the others,
  // and the server answers it as soon as it ends.
  if (send_statement(std::move(q), false))
    sync();
}

bool pg_pipeline::send_statement(queued q, bool in_batch) {
  const auto& statement = q.statement;
  std::vector<const char*> values;
  values.reserve(statement.params.size());
  for (const auto& p : statement.params)
    values.push_back(p ? p->c_str() : nullptr);
  const int count = static_cast<int>(values.size());
  const std::string* sql = &statement.sql;
  int sent = 0;
  if (!statement.name.empty() && catalog_.mode() == statement_mode::prepared) {
    sent = PQsendQueryPrepared(conn_, statement.name.c_str(), count, values.data(), nullptr,
                               nullptr, 0);
  } else {
    if (!statement.name.empty())
      sql = catalog_.sql_of(statement.name);
    if (sql == nullptr) {
      --pending_statements_;
      pg_outcome unknown;
      unknown.ok = false;
      unknown.message = "statement \"" + statement.name + "\" is not in the pool's statement list";
      q.done(std::move(unknown));
      return true;  // nothing sent; the connection is fine
    }
    sent = PQsendQueryParams(conn_, sql->c_str(), count, nullptr, values.data(), nullptr, nullptr,
                             0);
  }
  std::optional<db_statement> batched;
  if (in_batch)
    batched = std::move(q.statement);
  expected_.push_back(
    {expected::kind::statement, std::move(q.done), {}, q.submitted, std::move(batched)});
  if (sent != 1) {
    fail(error_text(conn_));
    return false;
  }
  return true;
}

bool pg_pipeline::sync() {
  if (PQpipelineSync(conn_) != 1) {
    fail(error_text(conn_));
    return false;
  }
  expected_.push_back({expected::kind::sync, {}, {}, {}});
  return true;
}

bool pg_pipeline::send_held() {
  if (held_.empty())
    return true;
  auto batch = std::move(held_);
  held_.clear();
  held_writes_ = 0;
  for (std::size_t i = 0; i < batch.size(); ++i)
    if (!send_statement(std::move(batch[i]), true)) {
      // fail() answered those sent; the rest of the batch never left.
      for (auto j = i + 1; j < batch.size(); ++j)
        batch[j].done(connection_lost(last_error_));
      return false;
    }
  return sync();
}

void pg_pipeline::flush() {
  if (state_ != state::ready)
    return;
  unflushed_ = false;
  if (held_may_go() && !send_held())
    return;
  const int flushed = PQflush(conn_);
  if (flushed < 0)
    fail(error_text(conn_));
  else
    want_write_ = flushed == 1;
}

void pg_pipeline::read_results() {
  while (!expected_.empty() && state_ == state::ready && PQisBusy(conn_) == 0) {
    PGresult* result = PQgetResult(conn_);
    auto& next = expected_.front();
    if (next.what == expected::kind::sync) {
      if (result == nullptr)
        break;  // not there yet
      const bool in_step = PQresultStatus(result) == PGRES_PIPELINE_SYNC;
      PQclear(result);
      if (!in_step) {  // the answers no longer match the questions: start over
        fail("unexpected result where a pipeline sync was due");
        return;
      }
      expected_.pop_front();
      if (!settle_batch())
        return;
      continue;
    }
    if (result == nullptr) {  // the end of this statement's results
      auto done = std::move(next.done);
      auto outcome = std::move(next.outcome);
      auto submitted = next.submitted;
      auto batched = std::move(next.batched);
      const bool aborted = next.aborted;
      expected_.pop_front();
      if (batched && !outcome.ok)
        batch_failed_ = true;
      if (batched && done && batched->batch == db_statement::batching::committed_together) {
        settling_.push_back({std::move(*batched), std::move(done), submitted, std::move(outcome)});
        continue;
      }
      if (batched && done && aborted) {
        // A quick read skipped by the server after another statement of its
        // batch failed: it never ran. Held again, for the next batch (sent by
        // advance()'s flush).
        held_.push_back({std::move(*batched), std::move(done), submitted});
        unflushed_ = true;
        continue;
      }
      if (done) {
        --pending_statements_;
        done(std::move(outcome));
      } else if (!outcome.ok) {  // a set-up statement failed: the session is not what we asked for
        fail("connection set-up failed: " + outcome.message);
        return;
      }
      continue;
    }
    switch (PQresultStatus(result)) {
      case PGRES_TUPLES_OK:
      case PGRES_COMMAND_OK: next.outcome.rows = pg_rows{result}; break;
      case PGRES_FATAL_ERROR:
      case PGRES_NONFATAL_ERROR: {
        next.outcome.ok = false;
        const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
        next.outcome.sqlstate = state ? state : "";
        // The server ends the session (shutdown, pg_terminate_backend) or the
        // link failed: what this says about the statement is that its
        // connection went away under it.
        const auto& code = next.outcome.sqlstate;
        next.outcome.connection_lost = code.rfind("08", 0) == 0 || code == "57P01" ||
                                       code == "57P02" || code == "57P03";
        next.outcome.message = PQresultErrorMessage(result);
        while (!next.outcome.message.empty() && next.outcome.message.back() == '\n')
          next.outcome.message.pop_back();
        PQclear(result);
        break;
      }
      case PGRES_PIPELINE_ABORTED:
        next.aborted = true;
        next.outcome.ok = false;  // answered as such if it cannot be sent again
        next.outcome.message = "skipped: an earlier statement of its batch failed";
        PQclear(result);
        break;
      default:
        next.outcome.ok = false;
        next.outcome.message = PQresStatus(PQresultStatus(result));
        PQclear(result);
        break;
    }
  }
}

bool pg_pipeline::settle_batch() {
  const bool failed = batch_failed_;
  batch_failed_ = false;
  auto settled = std::move(settling_);
  settling_.clear();
  for (std::size_t i = 0; i < settled.size(); ++i) {
    auto& w = settled[i];
    if (!failed) {  // committed
      --pending_statements_;
      w.done(std::move(w.outcome));
      continue;
    }
    // Rolled back with the batch, whatever its own result said: it runs again
    // alone, so that what it gets is its own outcome (a conflict with another
    // write of the batch included, which is then committed before it).
    w.statement.batch = db_statement::batching::alone;
    if (send_statement({std::move(w.statement), std::move(w.done), w.submitted}, false) && sync())
      continue;
    for (auto j = i + 1; j < settled.size(); ++j)  // fail() answered the rest
      settled[j].done(connection_lost(last_error_));
    return false;
  }
  if (failed)
    unflushed_ = true;
  return true;
}

void pg_pipeline::cancel_running_statement() {
  if (state_ != state::ready)
    return;
  PGcancel* cancel = PQgetCancel(conn_);
  if (cancel == nullptr)
    return;
  std::thread{[cancel] {
    char error[256];
    PQcancel(cancel, error, sizeof error);  // best effort: the statement timeout's fallback
    PQfreeCancel(cancel);
  }}.detach();
}

void pg_pipeline::fail(const std::string& why) {
  last_error_ = why;
  close(why);
  state_ = state::broken;
}

void pg_pipeline::close(const std::string& reason) {
  if (conn_ != nullptr) {
    if (before_close_)
      before_close_();
    PQfinish(conn_);
    conn_ = nullptr;
  }
  state_ = state::closed;
  want_write_ = false;
  unflushed_ = false;
  // Completions may run code that looks at this connection: take everything out first.
  auto expected = std::move(expected_);
  auto waiting = std::move(waiting_);
  auto held = std::move(held_);
  auto settling = std::move(settling_);
  expected_.clear();
  waiting_.clear();
  held_.clear();
  held_writes_ = 0;
  settling_.clear();
  batch_failed_ = false;
  pending_statements_ = 0;
  for (auto& e : expected)
    if (e.done)
      e.done(connection_lost(reason));
  for (auto& w : waiting)
    w.done(connection_lost(reason));
  for (auto& h : held)
    h.done(connection_lost(reason));
  // Their batch's commit was not confirmed: whether it happened is unknown.
  for (auto& w : settling)
    w.done(connection_lost(reason));
}

}  // namespace svc
