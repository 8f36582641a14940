// The DB pool's tick-driven behaviour on the deterministic scheduler
// (manual_time.hpp), with stand-in workers (db_pool_config::stand_in_worker)
// that the test answers: a bounded wait for a connection, a stuck connection
// answered and replaced, surplus connections closed after 30 s idle, and the
// probe while the database is down. The pool's tick runs every 250 ms; each
// step here lands on a tick. No socket: the real workers' and pipelined
// connections' behaviour is db_pool_actor_test.cpp's and db_pool_query_test.cpp's.
#include <memory>
#include <vector>

#include <caf/stateful_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include "actors/db_pool_actor.hpp"
#include "manual_time.hpp"

using namespace svc;
using namespace std::chrono_literals;

namespace {

using finish_atom = caf::atom_constant<caf::atom("finish")>;

// What every stand-in worker does, set by the test.
struct workers_script {
  enum class mode { answer, fail, hold };
  mode execute = mode::answer;  // hold: until finish_atom
  bool database_up = true;      // connect_atom's answer
  std::vector<caf::actor> spawned;
  std::size_t executed = 0;  // tasks that reached a worker
  std::size_t connects = 0;
};

struct worker_state {
  std::vector<caf::typed_response_promise<db_done>> held;
};

caf::behavior stand_in_worker(caf::stateful_actor<worker_state>* self,
                              std::shared_ptr<workers_script> script) {
  return {
    [=](execute_atom, db_task&) -> caf::result<db_done> {
      ++script->executed;
      switch (script->execute) {
        case workers_script::mode::answer: return db_done{};
        case workers_script::mode::fail: return make_error(db_failure::unavailable);
        case workers_script::mode::hold: break;
      }
      auto promise = self->make_response_promise<db_done>();
      self->state.held.push_back(promise);
      return promise;
    },
    [=](connect_atom) {
      ++script->connects;
      return script->database_up;
    },
    [=](reset_atom) {},
    [=](finish_atom) {
      for (auto& p : self->state.held)
        p.deliver(db_done{});
      self->state.held.clear();
    },
  };
}

class PoolTiming : public svc_test::ManualTime {
protected:
  db_pool_actor spawn(std::size_t min_idle, std::size_t max_size) {
    db_pool_config cfg;
    cfg.min_idle = min_idle;
    cfg.max_size = max_size;
    cfg.acquire_timeout = 500ms;
    cfg.connection.query_timeout = 1s;
    cfg.stuck_grace = 500ms;
    cfg.metrics = metrics_;
    cfg.stand_in_worker = [script = script_](caf::local_actor& pool) {
      auto worker = pool.spawn<caf::linked>(stand_in_worker, script);
      script->spawned.push_back(worker);
      return caf::actor_cast<db_worker_actor>(worker);
    };
    auto pool = keep(spawn_db_pool(sys_, std::move(cfg)));
    run();  // started: its min_idle workers warmed up
    return pool;
  }

  std::shared_ptr<svc_test::answer<db_done>> task(const db_pool_actor& pool) {
    auto out = ask<db_done>(pool, execute_atom::value,
                            db_task{[](pqxx::connection_base&) {}, "test", "req-test"});
    run();
    return out;
  }

  db_pool_status status(const db_pool_actor& pool) {
    return ask_now<db_pool_status>(pool, pool_status_atom::value);
  }

  void finish_held() {
    for (auto& w : script_->spawned)
      caf::anon_send(w, finish_atom::value);
    run();
  }

  double metric(const std::string& series) {
    const auto text = metrics_->render();
    const auto at = text.find("\n" + series + " ");
    return at == std::string::npos ? -1 : std::stod(text.substr(at + series.size() + 2));
  }

  std::shared_ptr<workers_script> script_ = std::make_shared<workers_script>();
  std::shared_ptr<service_metrics> metrics_ = std::make_shared<service_metrics>("pool-test");
};

}  // namespace

TEST_F(PoolTiming, ATaskWaitsForABusyPoolOnlyForTheAcquireTimeout) {
  auto pool = spawn(1, 1);
  script_->execute = workers_script::mode::hold;
  auto slow = task(pool);
  auto waiting = task(pool);
  EXPECT_EQ(script_->executed, 1u);
  EXPECT_EQ(status(pool).waiting, 1u);
  advance(499ms);  // the ticks at 250 ms: it has waited less than 500 ms
  EXPECT_FALSE(waiting->arrived());
  advance(1ms);  // the tick at 500 ms
  ASSERT_TRUE(waiting->arrived());
  EXPECT_EQ(db_failure_of(waiting->error), db_failure::timeout);
  EXPECT_EQ(status(pool).waiting, 0u);
  EXPECT_EQ(metric("db_pool_acquire_timeouts_total{service=\"pool-test\"}"), 1);
  // The timed-out wait is in db_pool_wait_seconds too, beyond its 0.25 s bucket
  // (the first task's wait, none, is within it).
  EXPECT_EQ(metric("db_pool_wait_seconds_count{service=\"pool-test\"}"), 2);
  EXPECT_EQ(metric("db_pool_wait_seconds_bucket{service=\"pool-test\",le=\"0.25\"}"), 1);
  EXPECT_EQ(script_->executed, 1u) << "the timed-out task never reached a connection";
  // The first one is not affected, and once it is done the connection serves again.
  EXPECT_FALSE(slow->arrived());
  script_->execute = workers_script::mode::answer;
  finish_held();
  EXPECT_TRUE(slow->value);
  EXPECT_TRUE(task(pool)->value);
}

TEST_F(PoolTiming, AQueuedTaskGetsTheFirstConnectionFreedWithinTheTimeout) {
  auto pool = spawn(1, 1);
  script_->execute = workers_script::mode::hold;
  auto first = task(pool);
  auto second = task(pool);
  advance(250ms);
  finish_held();  // the first is done: the second runs on its connection
  EXPECT_TRUE(first->value);
  EXPECT_EQ(script_->executed, 2u);
  advance(1s);  // held by its worker now, not waiting: no acquire timeout
  EXPECT_FALSE(second->arrived());
  finish_held();
  EXPECT_TRUE(second->value);
}

TEST_F(PoolTiming, AConnectionStuckPastTheStatementTimeoutIsAnsweredAndReplaced) {
  auto pool = spawn(1, 1);
  ASSERT_EQ(script_->spawned.size(), 1u);
  script_->execute = workers_script::mode::hold;  // never answers on its own
  auto stuck = task(pool);
  // Stuck after query_timeout + stuck_grace = 1.5 s; the tick at 1.5 s says so.
  advance(1499ms);
  EXPECT_FALSE(stuck->arrived());
  advance(1ms);
  ASSERT_TRUE(stuck->arrived());
  EXPECT_EQ(stuck->error, caf::sec::request_timeout);
  // The worker is gone; the next task gets a fresh one.
  script_->execute = workers_script::mode::answer;
  EXPECT_TRUE(task(pool)->value);
  EXPECT_EQ(script_->spawned.size(), 2u);
  EXPECT_TRUE(status(pool).database_up) << "one stuck connection is not a database down";
}

TEST_F(PoolTiming, SurplusConnectionsCloseAfterThirtySecondsIdle) {
  auto pool = spawn(1, 3);
  script_->execute = workers_script::mode::hold;
  for (int i = 0; i < 3; ++i)
    task(pool);
  EXPECT_EQ(script_->spawned.size(), 3u) << "grown to max_size";
  script_->execute = workers_script::mode::answer;
  finish_held();  // all idle from now on
  EXPECT_EQ(status(pool).idle, 3u);
  advance(29999ms);
  EXPECT_EQ(status(pool).idle, 3u);
  advance(1ms);  // the tick at 30 s: back to min_idle
  EXPECT_EQ(status(pool).idle, 1u);
  EXPECT_EQ(status(pool).in_use, 0u);
  advance(1h);  // and never below
  EXPECT_EQ(status(pool).idle, 1u);
}

TEST_F(PoolTiming, WhileTheDatabaseIsDownTasksFailFastAndAProbeFindsItBack) {
  auto pool = spawn(1, 2);
  script_->execute = workers_script::mode::fail;
  script_->database_up = false;
  auto failed = task(pool);
  EXPECT_EQ(db_failure_of(failed->error), db_failure::unavailable);
  EXPECT_FALSE(status(pool).database_up);
  const auto executed = script_->executed;
  auto refused = task(pool);  // answered by the pool itself
  EXPECT_EQ(db_failure_of(refused->error), db_failure::unavailable);
  EXPECT_EQ(script_->executed, executed);
  // A probe every 500 ms, each a connect on a worker.
  const auto connects = script_->connects;  // the warm-up's
  advance(499ms);
  EXPECT_EQ(script_->connects, connects);
  advance(1ms);
  EXPECT_EQ(script_->connects, connects + 1);
  advance(500ms);
  EXPECT_EQ(script_->connects, connects + 2);
  EXPECT_FALSE(status(pool).database_up);
  script_->database_up = true;  // back
  script_->execute = workers_script::mode::answer;
  advance(500ms);
  EXPECT_EQ(script_->connects, connects + 3);
  EXPECT_TRUE(status(pool).database_up);
  EXPECT_TRUE(task(pool)->value);
  advance(10s);
  EXPECT_EQ(script_->connects, connects + 3) << "no probe while the database is up";
}
