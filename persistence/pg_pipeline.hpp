// One PostgreSQL connection in libpq's non-blocking pipeline mode: statements
// from many requests go out back to back without waiting for each other's
// answers, and their results come back in order, each to its own completion.
//
// Every statement is followed by a sync of its own, so that it commits alone
// and a failing one aborts nothing else; except those marked for batching
// (db_statement::batching), which go out in batches under one sync. libpq 15
// sends nothing without a sync (PQpipelineSync flushes; there is no sync
// without a flush before libpq 17), and the server answers at a sync: a batch
// is one write to the socket, one wake-up of the server's backend, one
// transaction (one WAL flush for its writes) and one answer.
//  - Quick reads (by primary key; a slow read would hold back the answers of
//    the rest until it ended): when one statement of a batch fails, the server
//    skips the rest of it (PGRES_PIPELINE_ABORTED); the skipped reads never
//    ran, and are sent again.
//  - Writes committed together (single-statement inserts): each is answered
//    only at the batch's sync, once the commit is known. When any statement of
//    the batch failed, nothing of it was committed: each of its writes runs
//    again alone and gets its own outcome.
//
// Batched statements are held here, not in libpq's output buffer, until the
// owner's next flush(); a batch with a write in it also while the server still
// owes answers, so that the writes gathering meanwhile commit together: it goes
// out when they are in (or when 16 are held). Nothing without its sync is ever
// left in libpq's buffer, because libpq sends what is there whenever it reads
// (PQconsumeInput flushes first): a pooler in transaction mode (PgBouncer)
// hands the server connection back to its pool at the last sync it has seen
// answered, and statements that arrived ahead of their sync would be left on a
// server connection that other clients get next.
//
// No thread and no event loop here: the owner (the DB-pool actor) watches
// socket() for what wants_read()/wants_write() ask and calls advance() when it
// is ready. Completions run inside advance() and submit(), on the owner's
// thread; they must not call back into this connection.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "persistence/pg_rows.hpp"
#include "persistence/statements.hpp"

extern "C" {
struct pg_conn;
}

namespace svc {

// What became of one statement.
struct pg_outcome {
  pg_rows rows;
  bool ok = true;
  // The connection broke with the statement sent or queued: whether it ran is unknown.
  bool connection_lost = false;
  std::string sqlstate;  // PostgreSQL's error code when !ok, if it sent one
  std::string message;   // for the log only: may quote SQL or values
};

using pg_completion = std::function<void(pg_outcome)>;

class pg_pipeline {
public:
  using clock = std::chrono::steady_clock;
  enum class state { closed, connecting, ready, broken };

  // `catalog` (kept by reference: the pool's, outliving its connections) says
  // how named statements are sent; with prepared statements, the session gets
  // `statement_timeout` and every statement of the catalog is prepared at once.
  pg_pipeline(const statement_catalog& catalog, std::chrono::milliseconds statement_timeout);
  ~pg_pipeline();
  pg_pipeline(const pg_pipeline&) = delete;
  pg_pipeline& operator=(const pg_pipeline&) = delete;

  // Starts connecting (PQconnectStart); the handshake goes on in advance().
  // Statements submitted meanwhile wait for it.
  void connect(const std::string& conninfo);

  state current() const noexcept { return state_; }
  // -1 when there is no connection. May change while connecting.
  int socket() const;
  bool wants_read() const;
  // Something is to be sent now: more than the socket took, statements
  // submitted and not flushed yet, or held statements that no answer holds up
  // any longer.
  bool wants_write() const noexcept {
    return want_write_ || unflushed_ || (!held_.empty() && held_may_go());
  }

  // Moves the connection on after its socket became ready (or spuriously):
  // connect handshake, sending what is buffered, reading results.
  void advance();

  // Sends `statement` (one marked for batching: holds it for the next batch), or
  // queues it until connected, and calls `done` with its outcome. What libpq could not
  // send at once goes out with the next flush() or advance(). On a broken
  // connection `done` runs at once (connection_lost).
  void submit(const db_statement& statement, pg_completion done);

  // Sends the held statements as one batch, and what libpq buffered, as far as
  // the socket takes it (the rest waits for wants_write() and advance()). A batch
  // with a write in it waits while the server still owes answers to statements
  // sent earlier (it goes when those are in: advance()): the writes that gather
  // meanwhile then commit in one transaction, one WAL flush, where each would
  // otherwise wait for a flush of its own. A batch of reads only goes at once:
  // holding it back for the answers owed made every read wait a whole round trip
  // of the batch ahead of it (measured: docs/PERFORMANCE.md).
  void flush();

  // Statements sent and not answered yet.
  std::size_t awaiting_answers() const noexcept {
    return pending_statements_ - held_.size() - waiting_.size();
  }

  // Statements sent or queued and not answered yet.
  std::size_t in_flight() const noexcept { return pending_statements_; }
  // When the oldest unanswered statement was submitted (meaningful when in_flight()).
  clock::time_point oldest_submitted() const;
  // When the connection started connecting, or became ready.
  clock::time_point state_since() const noexcept { return state_since_; }

  // Asks the server to cancel the statement it runs now (libpq's PQcancel, on a
  // short-lived thread of its own: it opens a connection and waits for it). The
  // cancelled statement fails with SQLSTATE 57014; one that ended meanwhile is
  // not affected, though the next one may be.
  void cancel_running_statement();

  // Ends the connection; everything unanswered completes with connection_lost.
  void close(const std::string& reason);
  // Runs right before libpq closes the socket, however the connection ends: an
  // event loop watching the socket must let go of it first (a new connection may
  // get the same descriptor number).
  void before_socket_closes(std::function<void()> hook) { before_close_ = std::move(hook); }
  // Why the connection failed or broke, for the log.
  const std::string& last_error() const noexcept { return last_error_; }

private:
  struct expected;
  struct settling;
  struct queued {
    db_statement statement;
    pg_completion done;
    clock::time_point submitted;
  };

  void finish_connect();
  void dispatch(queued q);
  // Sends one statement (without its sync); false when the connection failed.
  bool send_statement(queued q, bool in_batch);
  bool send_held();  // the held statements and their sync
  bool held_may_go() const noexcept { return held_writes_ == 0 || awaiting_answers() == 0; }
  // At a batch's sync: answers its writes, or sends them again when the batch
  // failed; false when the connection failed.
  bool settle_batch();
  bool sync();
  bool send_setup();
  void read_results();
  void fail(const std::string& why);

  const statement_catalog& catalog_;
  std::chrono::milliseconds statement_timeout_;
  pg_conn* conn_ = nullptr;
  state state_ = state::closed;
  bool want_write_ = false;
  bool unflushed_ = false;
  int connect_poll_ = 0;  // PostgresPollingStatusType while connecting
  clock::time_point state_since_{};
  std::deque<expected> expected_;   // what the server will answer, in order
  std::deque<queued> waiting_;      // submitted before the connection was ready
  std::deque<queued> held_;         // quick reads and writes for the next batch
  std::size_t held_writes_ = 0;     // the writes among them
  std::vector<settling> settling_;  // writes of the batch being answered
  bool batch_failed_ = false;       // a statement of the batch being answered failed
  std::size_t pending_statements_ = 0;
  std::string last_error_;
  std::function<void()> before_close_;
};

}  // namespace svc
