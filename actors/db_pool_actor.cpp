#include "actors/db_pool_actor.hpp"

#include <deque>
#include <optional>
#include <unordered_map>
#include <vector>

#include "config/secret_mask.hpp"
#include "http/io_threads.hpp"
#include "observability/log.hpp"
#include <caf/actor_clock.hpp>
#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include "actors/db_pool_pipelines.hpp"
#include "actors/db_worker_actor.hpp"

namespace svc {
namespace {

// Every time the pool reads is its actor clock's (self->clock().now()):
// steady_clock in the services, a test scheduler's own clock in tests.
using clock = caf::actor_clock;

constexpr auto tick_interval = std::chrono::milliseconds{250};
constexpr auto probe_interval = std::chrono::milliseconds{500};
// Connections above min_idle are closed after being unused this long.
constexpr auto surplus_idle_limit = std::chrono::seconds{30};

struct worker_slot {
  db_worker_actor handle;
  bool busy = false;
  clock::time_point idle_since{};
  // The task running on it, answered by the worker's reply or, when the worker
  // is stuck in libpq past the statement timeout, by the tick (on_tick).
  std::optional<caf::typed_response_promise<db_done>> running;
  clock::time_point running_since{};
};

struct waiting_task {
  db_task task;
  caf::typed_response_promise<db_done> promise;
  clock::time_point enqueued;
};

struct pool_state {
  static inline const char* name = "db-pool";
  db_pool_config config;
  std::shared_ptr<const statement_catalog> catalog;  // built once, shared by the workers
  std::shared_ptr<http::io_threads> own_io;          // when the config brings none
  // Declared after what they use, so destroyed before it.
  std::unique_ptr<db_pool_pipelines> pipes;
  bool flush_scheduled = false;
  std::unordered_map<std::uint64_t, worker_slot> workers;
  std::deque<std::uint64_t> idle;  // most recently used at the back
  std::deque<waiting_task> waiting;
  std::uint64_t next_worker_id = 0;
  bool database_up = true;
  bool probing = false;
  // The min_idle connections still to be opened (warm_up).
  bool warm_up_owed = false;
};

using pool_pointer = db_pool_actor::stateful_pointer<pool_state>;

void dispatch(pool_pointer self, std::uint64_t worker_id, db_task task,
              caf::typed_response_promise<db_done> promise, clock::time_point enqueued);

// db_pool_connections: the workers' connections and the pipelined ones (in use
// while statements are in flight on them; sampled by the tick for those).
void report_connections(pool_pointer self) {
  auto& st = self->state;
  if (!st.config.metrics)
    return;
  const auto pipes = st.pipes ? st.pipes->connections() : db_pool_pipelines::usage{};
  st.config.metrics->pool_connections(st.idle.size() + pipes.idle,
                                      st.workers.size() - st.idle.size() + pipes.in_use);
  st.config.metrics->pool_limit(st.config.max_size + (st.pipes ? st.pipes->size() : 0));
  st.config.metrics->database_up(st.database_up);
}

std::uint64_t add_worker(pool_pointer self) {
  auto& st = self->state;
  auto handle = st.config.stand_in_worker ? st.config.stand_in_worker(*self)
                                          : self->spawn<caf::detached + caf::linked>(
                                              db_worker, st.config.connection, st.catalog);
  auto id = st.next_worker_id++;
  worker_slot slot;
  slot.handle = std::move(handle);
  slot.idle_since = self->clock().now();
  st.workers.emplace(id, std::move(slot));
  return id;
}

void remove_worker(pool_pointer self, std::uint64_t id) {
  auto& st = self->state;
  auto it = st.workers.find(id);
  if (it == st.workers.end())
    return;
  self->unlink_from(it->second.handle);
  caf::anon_send_exit(it->second.handle, caf::exit_reason::user_shutdown);
  st.workers.erase(it);
  std::erase(st.idle, id);
}

void fail_waiting(pool_pointer self, db_failure failure) {
  auto waiting = std::move(self->state.waiting);
  self->state.waiting.clear();
  for (auto& w : waiting)
    w.promise.deliver(make_error(failure));
}

void start_probe(pool_pointer self);

void mark_database_down(pool_pointer self) {
  auto& st = self->state;
  if (!st.database_up)
    return;
  log::error("database unreachable: failing requests fast until it answers again");
  st.database_up = false;
  if (st.config.metrics)
    st.config.metrics->database_up(false);
  fail_waiting(self, db_failure::unavailable);
  // Idle connections are as dead as the one that failed; drop them now so that
  // recovery does not spend one failed request per stale connection.
  for (auto id : st.idle)
    self->send(st.workers.at(id).handle, reset_atom::value);
  start_probe(self);
}

void release(pool_pointer self, std::uint64_t id) {
  auto& st = self->state;
  auto it = st.workers.find(id);
  if (it == st.workers.end())
    return;
  if (!st.waiting.empty() && st.database_up) {
    auto next = std::move(st.waiting.front());
    st.waiting.pop_front();
    dispatch(self, id, std::move(next.task), std::move(next.promise), next.enqueued);
    return;
  }
  it->second.busy = false;
  it->second.idle_since = self->clock().now();
  st.idle.push_back(id);
  report_connections(self);
}

// Whether the worker still runs a task the pool has not answered; clears it.
bool take_running(pool_pointer self, std::uint64_t worker_id) {
  auto it = self->state.workers.find(worker_id);
  if (it == self->state.workers.end() || !it->second.running)
    return false;
  it->second.running.reset();
  return true;
}

void dispatch(pool_pointer self, std::uint64_t worker_id, db_task task,
              caf::typed_response_promise<db_done> promise, clock::time_point enqueued) {
  auto& slot = self->state.workers.at(worker_id);
  slot.busy = true;
  auto started = self->clock().now();
  auto& metrics = self->state.config.metrics;
  if (metrics) {
    metrics->pool_wait(std::chrono::duration<double>(started - enqueued).count());
    report_connections(self);
  }
  auto operation = task.operation;
  auto record_duration = [self, operation, started] {
    if (auto& m = self->state.config.metrics)
      m->query_duration(operation,
                        std::chrono::duration<double>(self->clock().now() - started).count());
  };
  slot.running = promise;
  slot.running_since = started;
  // No request timeout (see run_db_task): on_tick retires a stuck worker.
  self->request(slot.handle, caf::infinite, execute_atom::value, std::move(task))
    .then(
      [=](db_done& value) mutable {
        if (!take_running(self, worker_id))
          return;  // already answered by on_tick, and the worker retired
        record_duration();
        promise.deliver(value);
        self->state.database_up = true;  // a task just succeeded
        release(self, worker_id);
      },
      [=](caf::error& err) mutable {
        if (!take_running(self, worker_id))
          return;
        record_duration();
        if (is_connection_lost(err)) {
          // Only this task's connection broke: the worker already holds a fresh
          // one, so the database stays up for everyone else.
          promise.deliver(make_error(db_failure::unavailable));
          release(self, worker_id);
          return;
        }
        promise.deliver(err);
        release(self, worker_id);
        if (db_failure_of(err) == db_failure::unavailable)
          mark_database_down(self);
      });
}

void start_probe(pool_pointer self) {
  auto& st = self->state;
  if (st.probing)
    return;
  st.probing = true;
  self->delayed_send(self, probe_interval, pool_probe_atom::value);
}

void probe(pool_pointer self) {
  auto& st = self->state;
  st.probing = false;
  std::uint64_t id;
  if (!st.idle.empty()) {
    id = st.idle.back();
    st.idle.pop_back();
  } else if (st.workers.size() < st.config.max_size) {
    id = add_worker(self);
  } else {  // every connection busy: look again shortly
    start_probe(self);
    return;
  }
  st.workers.at(id).busy = true;
  self->request(st.workers.at(id).handle, std::chrono::seconds{30}, connect_atom::value)
    .then(
      [=](bool connected) {
        auto& st = self->state;
        if (connected && !st.database_up) {
          log::info("database reachable again");
          st.database_up = true;
        }
        if (connected && st.pipes)
          st.pipes->connect_all();
        release(self, id);
        if (!connected)
          start_probe(self);
      },
      [=](caf::error&) {
        release(self, id);
        start_probe(self);
      });
}

// Opens the min_idle connections the pool keeps, each on its worker's thread,
// rather than on the first requests. Owed until the first pipelined connection is
// open: ten connections opening at start on a small machine hold up the one that
// readiness waits for (exec to /health/ready: 350 ms against 220 ms).
void warm_up(pool_pointer self) {
  auto& st = self->state;
  if (!st.warm_up_owed)
    return;
  st.warm_up_owed = false;
  for (auto id : st.idle)
    self->request(st.workers.at(id).handle, caf::infinite, connect_atom::value)
      .then([](bool) {}, [](caf::error&) {});
}

void on_tick(pool_pointer self) {
  auto& st = self->state;
  warm_up(self);  // at the latest: the database may not have answered yet
  auto now = self->clock().now();
  while (!st.waiting.empty() && now - st.waiting.front().enqueued >= st.config.acquire_timeout) {
    // A wait that timed out is a wait too: db_pool_wait_seconds shows it.
    if (st.config.metrics)
      st.config.metrics->pool_wait(
        std::chrono::duration<double>(now - st.waiting.front().enqueued).count());
    if (st.config.metrics)
      st.config.metrics->pool_acquire_timed_out();
    st.waiting.front().promise.deliver(make_error(db_failure::timeout));
    st.waiting.pop_front();
  }
  // A worker still busy well past the statement timeout is stuck: answer its
  // task and retire it.
  auto stuck_after = st.config.connection.query_timeout + st.config.stuck_grace;
  std::vector<std::uint64_t> stuck;
  for (auto& [id, slot] : st.workers)
    if (slot.running && now - slot.running_since >= stuck_after)
      stuck.push_back(id);
  for (auto id : stuck) {
    st.workers.at(id).running->deliver(make_error(caf::sec::request_timeout));
    remove_worker(self, id);
  }
  report_connections(self);
  if (st.pipes) {  // none beside a test's stand-in workers (db_pool_config::stand_in_worker)
    if (st.pipes->tick(std::chrono::duration_cast<std::chrono::milliseconds>(stuck_after)))
      mark_database_down(self);
    else if (st.database_up)
      st.pipes->connect_all();  // those that failed while nobody waited for them
  }
  // Shrink back towards min_idle, oldest-idle first.
  while (st.workers.size() > st.config.min_idle && !st.idle.empty()) {
    auto id = st.idle.front();
    if (now - st.workers.at(id).idle_since < surplus_idle_limit)
      break;
    remove_worker(self, id);
  }
  self->delayed_send(self, tick_interval, pool_tick_atom::value);
}

// The answer to a db_query, from its connection's outcome.
void finish_query(pool_pointer self, caf::typed_response_promise<pg_rows>& promise,
                  const std::string& operation, const log::request_scope& scope,
                  clock::time_point started, pg_outcome outcome) {
  auto& st = self->state;
  if (st.config.metrics)
    st.config.metrics->query_duration(
      operation, std::chrono::duration<double>(self->clock().now() - started).count());
  if (outcome.ok) {
    promise.deliver(std::move(outcome.rows));
    return;
  }
  if (outcome.connection_lost) {
    // Whether it ran is unknown, so it is not sent again. The connection is
    // replaced; the database is down only if a fresh one cannot be opened.
    promise.deliver(make_error(db_failure::unavailable));
    return;
  }
  auto failure = classify_sqlstate(outcome.sqlstate);
  if ((outcome.sqlstate == "26000" || outcome.sqlstate == "42P05") &&
      st.catalog->mode() == statement_mode::prepared && st.catalog->first_pooler_symptom())
    log::error(
      "a prepared statement is missing on the server or was prepared by another client"
      " (SQLSTATE 26000 or 42P05): a pooler in transaction mode (PgBouncer) between the"
      " service and PostgreSQL cannot carry named statements; set DB_PREPARED_STATEMENTS=false",
      {{"setting", "DB_PREPARED_STATEMENTS"}, {"error", mask_secrets(outcome.message)}});
  if (failure == db_failure::failed || failure == db_failure::unavailable)
    log::error(scope, "database operation failed",
               {{"operation", operation},
                {"sqlstate", outcome.sqlstate},
                {"error", mask_secrets(outcome.message)}});
  // The pool's state first: whoever hears of the failure must find it down.
  if (failure == db_failure::unavailable)
    mark_database_down(self);
  promise.deliver(make_error(failure));
}

void start_pipes(pool_pointer self) {
  auto& st = self->state;
  auto io = st.config.io;
  if (!io) {
    st.own_io = std::make_shared<http::io_threads>(1, "db-io");
    st.own_io->start();
    io = st.own_io;
  }
  db_pool_pipelines::settings pipes;
  pipes.conninfo = st.config.connection.url;
  pipes.connections = st.config.pipelined_connections ? st.config.pipelined_connections
                                                      : io->size();
  pipes.long_read_connections = pipes.connections;
  pipes.statement_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
    st.config.connection.query_timeout);
  pipes.max_lifetime = st.config.connection.max_lifetime;
  // Weak: the pool's own state must not keep the pool alive.
  caf::weak_actor_ptr weak{self->ctrl()};
  st.pipes = std::make_unique<db_pool_pipelines>(
    io, std::move(pipes), *st.catalog,
    [weak](std::size_t index, std::uint64_t generation, bool writable) {
      if (auto strong = weak.lock())
        caf::anon_send(caf::actor_cast<db_pool_actor>(strong), pipe_ready_atom::value, index,
                       generation, writable);
    });
  st.pipes->connect_all();
}

caf::result<pg_rows> query(pool_pointer self, db_query& q) {
  auto& st = self->state;
  if (!st.database_up || !st.pipes)
    return make_error(db_failure::unavailable);
  auto promise = self->make_response_promise<pg_rows>();
  auto done = [self, promise, operation = std::move(q.operation), scope = std::move(q.scope),
               started = self->clock().now()](pg_outcome outcome) mutable {
    finish_query(self, promise, operation, scope, started, std::move(outcome));
  };
  if (!st.pipes->submit(q.statement, done)) {
    st.pipes->connect_all();  // every one broke: open them again, and queue there
    if (!st.pipes->submit(q.statement, done)) {
      // Fresh connections failed at once: the database is down (until the
      // probe finds it again), not each request's to find out anew.
      mark_database_down(self);
      promise.deliver(make_error(db_failure::unavailable));
      return promise;
    }
  }
  if (!st.flush_scheduled) {
    // Behind the queries already in the mailbox: they join this write.
    st.flush_scheduled = true;
    self->send(self, pipe_flush_atom::value);
  }
  return promise;
}

void on_pipe_ready(pool_pointer self, std::size_t index, std::uint64_t generation, bool writable) {
  auto& st = self->state;
  if (!st.pipes)
    return;
  const auto event = st.pipes->on_socket_ready(index, generation, writable);
  if (event != db_pool_pipelines::event::nothing)
    report_connections(self);
  switch (event) {
    case db_pool_pipelines::event::connected:
      warm_up(self);
      if (!st.database_up) {
        log::info("database reachable again");
        st.database_up = true;
      }
      break;
    case db_pool_pipelines::event::connect_failed: mark_database_down(self); break;
    case db_pool_pipelines::event::broke:
      st.pipes->connect_all();  // at once: if the database is gone, that attempt says so
      break;
    case db_pool_pipelines::event::nothing: break;
  }
}

db_pool_actor::behavior_type db_pool(pool_pointer self, db_pool_config config) {
  self->state.config = std::move(config);
  const auto& conn = self->state.config.connection;
  self->state.catalog = std::make_shared<const statement_catalog>(
    conn.statements ? *conn.statements : statement_list{},
    conn.prepared_statements ? statement_mode::prepared : statement_mode::unnamed);
  for (std::size_t i = 0; i < self->state.config.min_idle; ++i)
    self->state.idle.push_back(add_worker(self));
  self->state.warm_up_owed = true;
  if (!self->state.config.stand_in_worker)
    start_pipes(self);
  else
    warm_up(self);
  self->delayed_send(self, tick_interval, pool_tick_atom::value);
  return {
    [=](execute_atom, db_task& task) -> caf::result<db_done> {
      auto& st = self->state;
      if (!st.database_up)
        return make_error(db_failure::unavailable);
      auto promise = self->make_response_promise<db_done>();
      if (!st.idle.empty()) {
        auto id = st.idle.back();
        st.idle.pop_back();
        dispatch(self, id, std::move(task), promise, self->clock().now());
      } else if (st.workers.size() < st.config.max_size) {
        dispatch(self, add_worker(self), std::move(task), promise, self->clock().now());
      } else {
        st.waiting.push_back({std::move(task), promise, self->clock().now()});
      }
      return promise;
    },
    [=](pool_status_atom) {
      auto& st = self->state;
      return db_pool_status{st.idle.size(), st.workers.size() - st.idle.size(), st.waiting.size(),
                            st.database_up,
                            st.idle.empty() && st.workers.size() >= st.config.max_size};
    },
    [=](pool_tick_atom) { on_tick(self); },
    [=](pool_probe_atom) { probe(self); },
    [=](query_atom, db_query& q) { return query(self, q); },
    [=](pipe_ready_atom, std::size_t index, std::uint64_t generation, bool writable) {
      on_pipe_ready(self, index, generation, writable);
    },
    [=](pipe_flush_atom) {
      self->state.flush_scheduled = false;
      if (self->state.pipes)
        self->state.pipes->flush();
    },
  };
}

}  // namespace

db_pool_actor spawn_db_pool(caf::actor_system& sys, db_pool_config config) {
  return sys.spawn(db_pool, std::move(config));
}

}  // namespace svc
