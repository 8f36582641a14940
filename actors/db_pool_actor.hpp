// The only way to PostgreSQL: owns the worker actors (one connection each), hands
// each task to a free one, queues for a bounded time when all are busy, and fails
// fast while the database is down until a probe sees it back.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

#include <caf/event_based_actor.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/db_messages.hpp"
#include "actors/db_worker_actor.hpp"
#include "observability/metrics.hpp"
#include "persistence/pg_rows.hpp"

namespace svc::http {
class io_threads;
}

namespace svc {

using pool_status_atom = caf::atom_constant<caf::atom("poolstat")>;
using pool_tick_atom = caf::atom_constant<caf::atom("pooltick")>;
using pool_probe_atom = caf::atom_constant<caf::atom("poolprobe")>;
using query_atom = caf::atom_constant<caf::atom("query")>;
using pipe_ready_atom = caf::atom_constant<caf::atom("piperdy")>;
using pipe_flush_atom = caf::atom_constant<caf::atom("pipeflush")>;

// One statement on its own (autocommit), answered with its rows: sent on one of
// the pool's pipelined connections, behind whatever else is in flight there, with
// no thread waiting for it. `operation` names it for logs and metrics.
struct db_query {
  db_statement statement;
  std::string operation;
  log::request_scope scope;  // of the request it serves, for the log
};

struct db_pool_status {
  std::size_t idle = 0;
  std::size_t in_use = 0;
  std::size_t waiting = 0;
  bool database_up = false;
  // Every connection busy and none may be added: a new task would queue.
  bool saturated = false;
};

struct db_pool_config {
  db_connection_settings connection;
  std::size_t min_idle = 10;
  std::size_t max_size = 100;
  std::chrono::milliseconds acquire_timeout{2000};
  // A connection still busy this long after its statement timeout is stuck
  // (e.g. a database host gone without a reset): its task gets an error and the
  // connection is replaced.
  std::chrono::milliseconds stuck_grace{5000};
  std::shared_ptr<service_metrics> metrics;  // may be null (tests)
  // The I/O threads whose io_contexts watch the pipelined connections' sockets;
  // null: the pool starts one thread of its own for them (tests).
  std::shared_ptr<http::io_threads> io;
  // Pipelined connections (db_query); 0: one per I/O thread. As many again are
  // kept for reads that may run long (db_statement::may_run_long), so that no
  // quick statement queues behind a search.
  std::size_t pipelined_connections = 0;
  // Tests only (tests/actors/db_pool_timing_test.cpp), for CAF's deterministic
  // scheduler, which can take no message from another thread: spawns a
  // stand-in for each worker, linked to the pool, where the pool spawns
  // db_worker detached on a connection of its own; and the pool then opens no
  // pipelined connections (their sockets are watched by I/O threads), so a
  // db_query is answered db_failure::unavailable. Empty in the services.
  std::function<db_worker_actor(caf::local_actor& pool)> stand_in_worker;
};

using db_pool_actor = caf::typed_actor<
  caf::replies_to<execute_atom, db_task>::with<db_done>,
  caf::replies_to<query_atom, db_query>::with<pg_rows>,
  caf::replies_to<pool_status_atom>::with<db_pool_status>,
  // Timers the pool sends itself: expire waiters and shrink; probe a down database.
  caf::reacts_to<pool_tick_atom>, caf::reacts_to<pool_probe_atom>,
  // A pipelined connection's socket is ready (connection index, socket
  // generation, writable rather than readable): sent from an I/O thread.
  caf::reacts_to<pipe_ready_atom, std::size_t, std::uint64_t, bool>,
  // Sends the queries queued since the last one (db_pool_pipelines::flush).
  caf::reacts_to<pipe_flush_atom>>;

db_pool_actor spawn_db_pool(caf::actor_system& sys, db_pool_config config);

// Runs `fn(pqxx::connection_base&)` on a pooled connection and calls `on_value`
// with its result in the requesting actor, or `on_error` with the caf::error.
//
// No request timeout (caf::infinite): the pool always answers, since waiters
// expire after acquire_timeout and a stuck connection after the statement
// timeout (db_pool_actor.cpp). A finite timeout would cost more than it guards:
// CAF 0.17 keeps it in the actor clock, with a strong reference to the
// requester, until it expires, even when the answer came long before: a
// clock-thread wake-up per request, and memory that grows with request rate x
// timeout.
template <class Self, class Fn, class OnValue, class OnError>
void run_db_task(Self* self, const db_pool_actor& pool, std::string operation, Fn fn,
                 OnValue on_value, OnError on_error, log::request_scope scope = {}) {
  using result_type = std::invoke_result_t<Fn&, pqxx::connection_base&>;
  static_assert(!std::is_void_v<result_type>, "a database task returns its result");
  // Written by the worker's thread, read here only after its db_done arrived
  // (the message hand-off orders the two). A task the pool gave up on (stuck
  // connection) may still write it; nobody reads it then.
  auto result = std::make_shared<std::optional<result_type>>();
  db_task task{
    [fn = std::move(fn), result](pqxx::connection_base& c) mutable { result->emplace(fn(c)); },
    std::move(operation), std::move(scope)};
  self->request(pool, caf::infinite, execute_atom::value, std::move(task))
    .then(
      [on_value = std::move(on_value), result](db_done) mutable { on_value(std::move(**result)); },
      [on_error = std::move(on_error)](caf::error& err) mutable { on_error(err); });
}

// Runs one statement on a pipelined connection and calls `on_rows(pg_rows)` in
// the requesting actor, or `on_error(const caf::error&)`. No request timeout, as
// for run_db_task: the pool answers every query (a connection that stops
// answering is closed after the statement timeout and its grace).
template <class Self, class OnRows, class OnError>
void run_db_query(Self* self, const db_pool_actor& pool, db_query query, OnRows on_rows,
                  OnError on_error) {
  self->request(pool, caf::infinite, query_atom::value, std::move(query))
    .then([on_rows = std::move(on_rows)](pg_rows& rows) mutable { on_rows(std::move(rows)); },
          [on_error = std::move(on_error)](caf::error& err) mutable { on_error(err); });
}

}  // namespace svc

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(svc::db_pool_status)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(svc::db_query)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(svc::pg_rows)
