#include <gtest/gtest.h>

#include <caf/send.hpp>
#include <thread>

#include "actor_test_support.hpp"
#include "persistence/named_statements.hpp"

using namespace svc;
using namespace std::chrono_literals;

namespace {

// Outcome of one task run through the pool from a scoped actor.
struct outcome {
  std::optional<long> value;
  std::optional<db_failure> failure;
  caf::error error;
};

class DbPoolActor : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    url_ = svc_test::fresh_database("pool_actor_test");
    pqxx::connection conn{url_};
    pqxx::work tx{conn};
    tx.exec("CREATE TABLE items (id int PRIMARY KEY)");
    tx.commit();
  }

  outcome run(const db_pool_actor& pool, std::function<long(pqxx::connection_base&)> fn) {
    caf::scoped_actor self{sys_};
    outcome out;
    auto value = std::make_shared<long>(0);
    db_task task{[fn, value](pqxx::connection_base& c) { *value = fn(c); }, "test", "req-test"};
    self->request(pool, 30s, execute_atom::value, std::move(task))
      .receive([&](db_done) { out.value = *value; },
               [&](caf::error& e) {
                 out.error = e;
                 out.failure = db_failure_of(e);
               });
    return out;
  }

  db_pool_status status(const db_pool_actor& pool) {
    caf::scoped_actor self{sys_};
    db_pool_status st;
    self->request(pool, 10s, pool_status_atom::value)
      .receive([&](db_pool_status& s) { st = s; }, [&](caf::error&) {});
    return st;
  }

  void TearDown() override {
    for (auto& p : pools_)
      caf::anon_send_exit(p, caf::exit_reason::user_shutdown);
    pools_.clear();
  }

  db_pool_actor spawn(db_pool_config cfg) {
    pools_.push_back(spawn_db_pool(sys_, std::move(cfg)));
    return pools_.back();
  }

  static inline std::string url_;
  caf::actor_system_config cfg_;
  caf::actor_system sys_{cfg_};
  std::vector<db_pool_actor> pools_;
};

long select_value(pqxx::connection_base& c, const std::string& sql) {
  pqxx::work tx{c};
  auto v = tx.exec1(sql)[0].as<long>();
  tx.commit();
  return v;
}

}  // namespace

TEST_F(DbPoolActor, RunsTasksAndKeepsMinIdleConnectionsOpen) {
  auto pool = spawn(svc_test::pool_config(url_, {}, 3, 8));
  auto out = run(pool, [](pqxx::connection_base& c) { return select_value(c, "SELECT 41 + 1"); });
  ASSERT_TRUE(out.value) << caf::to_string(out.error);
  EXPECT_EQ(*out.value, 42);
  // The pool opened its min_idle connections at start (the warm-up).
  EXPECT_TRUE(svc_test::poll_until(
    [&] {
      return run(pool, [](pqxx::connection_base& c) {
               return select_value(
                 c,
                 "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                 " AND pid <> pg_backend_pid()");
             }).value.value_or(0) >= 2;
    },
    10s, 100ms));
  auto st = status(pool);
  EXPECT_TRUE(st.database_up);
  EXPECT_EQ(st.idle + st.in_use, 3u);
}

TEST_F(DbPoolActor, ClassifiesFailuresWithoutDying) {
  auto pool = spawn(svc_test::pool_config(url_, {}, 1, 2));
  auto conflict = run(pool, [](pqxx::connection_base& c) {
    pqxx::work tx{c};
    tx.exec("INSERT INTO items VALUES (1) ON CONFLICT DO NOTHING");
    tx.exec("INSERT INTO items VALUES (1)");
    tx.commit();
    return 0L;
  });
  EXPECT_EQ(conflict.failure, db_failure::conflict);
  auto broken_sql = run(
    pool, [](pqxx::connection_base& c) { return select_value(c, "SELECT nonsense FROM nowhere"); });
  EXPECT_EQ(broken_sql.failure, db_failure::failed);
  auto thrown = run(pool, [](pqxx::connection_base&) -> long { throw std::runtime_error("bug"); });
  EXPECT_EQ(thrown.failure, db_failure::failed);
  // The pool and its connection still work afterwards.
  EXPECT_EQ(run(pool, [](pqxx::connection_base& c) { return select_value(c, "SELECT 7"); }).value,
            7);
}

TEST_F(DbPoolActor, StatementTimeoutIsATimeout) {
  auto cfg = svc_test::pool_config(url_, {}, 1, 1);
  cfg.connection.query_timeout = 1s;
  auto pool = spawn(cfg);
  auto out = run(
    pool, [](pqxx::connection_base& c) { return select_value(c, "SELECT 1 FROM pg_sleep(3)"); });
  EXPECT_EQ(out.failure, db_failure::timeout);
}

TEST_F(DbPoolActor, GrowsUpToMaxUnderConcurrentLoad) {
  auto pool = spawn(svc_test::pool_config(url_, {}, 1, 4));
  std::vector<std::thread> clients;
  std::atomic<int> ok{0};
  for (int i = 0; i < 4; ++i)
    clients.emplace_back([&] {
      if (run(pool, [](pqxx::connection_base& c) {
            return select_value(c, "SELECT 1 FROM pg_sleep(0.3)");
          }).value)
        ++ok;
    });
  for (auto& t : clients)
    t.join();
  EXPECT_EQ(ok.load(), 4);
  auto st = status(pool);
  EXPECT_EQ(st.idle + st.in_use, 4u);
}

TEST_F(DbPoolActor, FailsFastWhileTheDatabaseIsDownAndRecoversByItself) {
  auto pool = spawn(svc_test::pool_config(url_, {}, 2, 4));
  ASSERT_EQ(run(pool, [](pqxx::connection_base& c) { return select_value(c, "SELECT 1"); }).value,
            1);
  svc_test::pg_ctl("stop");
  auto during = run(pool, [](pqxx::connection_base& c) { return select_value(c, "SELECT 1"); });
  EXPECT_EQ(during.failure, db_failure::unavailable);
  // While down, requests are refused by the pool itself, without touching libpq.
  EXPECT_FALSE(status(pool).database_up);
  EXPECT_EQ(run(pool, [](pqxx::connection_base& c) { return select_value(c, "SELECT 1"); }).failure,
            db_failure::unavailable);
  svc_test::pg_ctl("start");
  EXPECT_TRUE(svc_test::poll_until(
    [&] {
      return run(pool, [](pqxx::connection_base& c) {
               return select_value(c, "SELECT 5");
             }).value == 5;
    },
    10s, 100ms));
  EXPECT_TRUE(status(pool).database_up);
}

namespace {

// The sessions on the test database other than this one: the pool's connections.
int other_sessions(const std::string& url) {
  pqxx::connection admin{url};
  pqxx::nontransaction tx{admin};
  return tx
    .exec1(
      "SELECT count(*) FROM pg_stat_activity"
      " WHERE datname = current_database() AND pid <> pg_backend_pid()")[0]
    .as<int>();
}

// Ends every other session on the test database from outside, as a PostgreSQL
// restart or an operator's pg_terminate_backend does: the pool's idle connections
// get FATAL 57P01 and the end of the stream, with nothing sent on them.
int terminate_other_sessions(const std::string& url) {
  pqxx::connection admin{url};
  pqxx::nontransaction tx{admin};
  return tx
    .exec1(
      "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
      " WHERE datname = current_database() AND pid <> pg_backend_pid()")[0]
    .as<int>();
}

const svc::statement_list seven{{"pool_test_plus_seven", "SELECT $1::int + 7"}};

// Runs the named statement through exec_named, and reports what the session has:
// the result * 1000 + how many statements it has prepared.
long plus_seven_and_prepared(pqxx::connection_base& c) {
  pqxx::nontransaction tx{c};
  const long sum = exec_named(tx, "pool_test_plus_seven", 35)[0][0].as<long>();
  const long prepared = tx.exec1("SELECT count(*) FROM pg_prepared_statements")[0].as<long>();
  return sum * 1000 + prepared;
}

}  // namespace

TEST_F(DbPoolActor, AnIdleConnectionClosedByTheServerIsReplacedBeforeUse) {
  auto pool = spawn(svc_test::pool_config(url_, {}, 2, 2));
  ASSERT_TRUE(svc_test::poll_until([&] { return status(pool).idle == 2; }, 10s, 100ms));
  ASSERT_EQ(run(pool, [](pqxx::connection_base& c) { return select_value(c, "SELECT 1"); }).value,
            1);
  // Both idle connections are open (the second one's warm-up connect runs on its
  // own worker and may still be under way on a loaded machine).
  ASSERT_TRUE(svc_test::poll_until([&] { return other_sessions(url_) >= 2; }, 10s, 20ms));
  ASSERT_GE(terminate_other_sessions(url_), 2);
  // The terminated backends' FATAL message and close reach the sockets at once
  // (loopback); each task then finds its connection readable before sending
  // anything, and runs on a fresh one.
  std::this_thread::sleep_for(100ms);
  for (int i = 0; i < 4; ++i) {
    auto out = run(pool, [](pqxx::connection_base& c) { return select_value(c, "SELECT 3"); });
    EXPECT_EQ(out.value, 3) << caf::to_string(out.error);
  }
  EXPECT_TRUE(status(pool).database_up);
}

TEST_F(DbPoolActor, AConnectionLostUnderATaskFailsThatTaskOnly) {
  auto pool = spawn(svc_test::pool_config(url_, {}, 1, 1));
  ASSERT_EQ(run(pool, [](pqxx::connection_base& c) { return select_value(c, "SELECT 1"); }).value,
            1);
  // The statement reaches the server and the connection breaks under it: its
  // fate is unknown to the pool, so it is not sent again.
  std::atomic<int> attempts{0};
  auto lost = run(pool, [&](pqxx::connection_base& c) {
    ++attempts;
    return select_value(c, "SELECT 1 FROM pg_terminate_backend(pg_backend_pid())");
  });
  EXPECT_EQ(lost.failure, db_failure::unavailable);
  EXPECT_EQ(attempts.load(), 1);
  // A fresh connection opened at once: the database never counted as down.
  EXPECT_TRUE(status(pool).database_up);
  EXPECT_EQ(run(pool, [](pqxx::connection_base& c) { return select_value(c, "SELECT 4"); }).value,
            4);
}

TEST_F(DbPoolActor, NamedStatementsArePreparedOrSentUnnamedAsThePoolSays) {
  auto session_statement_timeout = [](pqxx::connection_base& c) {
    return select_value(c,
                        "SELECT setting::bigint FROM pg_settings WHERE name = 'statement_timeout'");
  };
  auto prepared_cfg = svc_test::pool_config(url_, seven, 1, 1);
  auto prepared = spawn(prepared_cfg);
  EXPECT_EQ(run(prepared, plus_seven_and_prepared).value, 42 * 1000 + 1);
  // The session statement_timeout is set on a session of our own.
  EXPECT_EQ(run(prepared, session_statement_timeout).value, 5000);

  auto unnamed_cfg = svc_test::pool_config(url_, seven, 1, 1);
  unnamed_cfg.connection.prepared_statements = false;
  auto unnamed = spawn(unnamed_cfg);
  EXPECT_EQ(run(unnamed, plus_seven_and_prepared).value, 42 * 1000 + 0);
  // None behind a transaction pooler, where a session SET would stray.
  EXPECT_EQ(run(unnamed, session_statement_timeout).value, 0);
  // A name the pool does not list is a failed task, as an unprepared name is.
  auto unknown = run(unnamed, [](pqxx::connection_base& c) {
    pqxx::nontransaction tx{c};
    return exec_named(tx, "no_such_statement")[0][0].as<long>();
  });
  EXPECT_EQ(unknown.failure, db_failure::failed);
}

TEST_F(DbPoolActor, AFailedTaskIsLoggedWithTheRequestItServed) {
  auto pool = spawn(svc_test::pool_config(url_, {}, 1, 1));
  testing::internal::CaptureStdout();  // where the log goes (observability/log.cpp)
  auto out = run(pool, [](pqxx::connection_base& c) { return select_value(c, "SELECT 1 / 0"); });
  const auto log = testing::internal::GetCapturedStdout();
  EXPECT_EQ(out.failure, db_failure::failed);
  EXPECT_NE(log.find("\"request_id\":\"req-test\""), std::string::npos) << log;
}
