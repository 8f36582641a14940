// The DB-pool actor's pipelined connections (persistence/pg_pipeline.hpp): each
// one's socket is watched by one of the I/O threads' io_contexts, and every
// readiness comes back to the pool as a message (`notify`), so that libpq is only
// ever called from the pool actor. Not an actor itself: a part of the pool's
// state, used from its handlers only.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "persistence/pg_pipeline.hpp"

namespace svc::http {
class io_threads;
}

namespace svc {

class db_pool_pipelines {
public:
  // Asks the pool to call on_socket_ready(index, generation, writable) from its
  // own context. Called on an I/O thread.
  using notify_fn = std::function<void(std::size_t index, std::uint64_t generation, bool writable)>;

  struct settings {
    std::string conninfo;
    std::size_t connections = 1;
    // Connections kept for reads that may run long (db_statement::may_run_long),
    // besides `connections`: PostgreSQL runs one connection's statements one after
    // another, so a search at a million rows would hold up every quick read queued
    // behind it. 0: none kept apart (every statement may go anywhere).
    std::size_t long_read_connections = 1;
    std::chrono::milliseconds statement_timeout{10000};
    std::chrono::seconds max_lifetime{3600};
  };

  // What a socket event did to its connection. connect_failed: statements
  // waited for that connection and failed with it (demand met a database that
  // does not answer); a failed attempt nobody waited for is `nothing`: the
  // pool's timer tries again (connect_all), and a request arriving meanwhile
  // opens a connection at once.
  enum class event { nothing, connected, connect_failed, broke };

  db_pool_pipelines(std::shared_ptr<http::io_threads> io, settings config,
                    const statement_catalog& catalog, notify_fn notify);
  ~db_pool_pipelines();
  db_pool_pipelines(const db_pool_pipelines&) = delete;
  db_pool_pipelines& operator=(const db_pool_pipelines&) = delete;

  // Opens every connection that is not open or opening.
  void connect_all();

  // Queues `statement` on the connection with the fewest statements in flight
  // among those of its kind (kept for long reads, or not; one still connecting
  // queues it until connected); false when none is open or opening. It is sent by
  // the next flush().
  bool submit(const db_statement& statement, pg_completion done);

  // Sends what submit() queued: the pool calls it once per batch of queries
  // (a message to itself, handled after the queries already in its mailbox), so
  // that the statements of many requests leave in one write. A connection still
  // owed answers keeps its new batched statements until they come in
  // (pg_pipeline::flush).
  void flush();

  event on_socket_ready(std::size_t index, std::uint64_t generation, bool writable);

  // From the pool's timer: a connection past its lifetime is replaced once it has
  // nothing in flight; one whose oldest statement waited `stuck_after` is closed
  // (its statements fail) and opened again. True when a connection could not be
  // opened within `stuck_after` (given up: the database counts as down).
  bool tick(std::chrono::milliseconds stuck_after);

  // Open connections with nothing in flight, and with statements in flight.
  struct usage {
    std::size_t idle = 0;
    std::size_t in_use = 0;
  };
  usage connections() const;
  // How many connections it keeps (open or not).
  std::size_t size() const { return slots_.size(); }

private:
  struct slot;
  void watch(std::size_t index);
  void release_socket(slot& s);
  void open(std::size_t index);

  std::shared_ptr<http::io_threads> io_;
  settings config_;
  const statement_catalog& catalog_;
  notify_fn notify_;
  std::vector<std::unique_ptr<slot>> slots_;
  std::vector<std::size_t> unflushed_;  // slots submitted to since the last flush()
  std::size_t next_ = 0;                // round robin among equally loaded connections
};

}  // namespace svc
