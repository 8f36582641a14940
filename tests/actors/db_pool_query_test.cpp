// The DB-pool actor's pipelined path (db_query) against the throwaway
// PostgreSQL cluster: real actors, real sockets watched on an io_context.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <variant>

#include "actor_test_support.hpp"

using namespace svc;
using namespace std::chrono_literals;

namespace {

const statement_list statements{{"query_test_echo", "SELECT $1::int"},
                                {"query_test_insert", "INSERT INTO things (id) VALUES ($1::int)"}};

// The rows' first value, or the failure.
using answer = std::variant<long, db_failure>;

class DbPoolQuery : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    url_ = svc_test::fresh_database("pool_query_test");
    pqxx::connection conn{url_};
    pqxx::nontransaction tx{conn};
    tx.exec("CREATE TABLE things (id int PRIMARY KEY)");
  }

  void TearDown() override {
    for (auto& p : pools_)
      caf::anon_send_exit(p, caf::exit_reason::user_shutdown);
  }

  db_pool_actor spawn(std::size_t pipelined_connections = 1, bool prepared = true,
                      std::chrono::seconds query_timeout = std::chrono::seconds{5},
                      std::shared_ptr<service_metrics> metrics = nullptr) {
    auto cfg = svc_test::pool_config(url_, statements, 1, 2);
    cfg.metrics = std::move(metrics);
    cfg.pipelined_connections = pipelined_connections;
    cfg.connection.prepared_statements = prepared;
    cfg.connection.query_timeout = query_timeout;
    pools_.push_back(spawn_db_pool(sys_, std::move(cfg)));
    return pools_.back();
  }

  answer query(const db_pool_actor& pool, db_statement statement) {
    caf::scoped_actor self{sys_};
    answer out = db_failure::failed;
    self->request(pool, 30s, query_atom::value, db_query{std::move(statement), "test", "req-test"})
      .receive([&](pg_rows& rows) { out = rows.empty() ? -1L : rows.at(0)[0].as<long>(); },
               [&](caf::error& e) { out = db_failure_of(e).value_or(db_failure::failed); });
    return out;
  }

  // Sends `slow` (which answers 7), then after `head_start` a burst of 20 quick
  // reads: true when every one of them was answered while `slow` still ran.
  bool answered_while_slow_runs(const db_pool_actor& pool, db_statement slow,
                                std::chrono::milliseconds head_start) {
    std::atomic<bool> slow_answered{false};
    std::thread runner{[&] {
      EXPECT_EQ(query(pool, std::move(slow)), answer{7L});
      slow_answered = true;
    }};
    std::this_thread::sleep_for(head_start);
    caf::scoped_actor self{sys_};
    for (int i = 0; i < 20; ++i)
      self->send(pool, query_atom::value,
                 db_query{named("query_test_echo", std::int64_t{i}), "test", "req-test"});
    int received = 0;
    self->receive_for(received, 20)([&](pg_rows&) {},
                                    [&](caf::error& e) { ADD_FAILURE() << caf::to_string(e); });
    const bool before = !slow_answered.load();
    runner.join();
    return before;
  }

  bool database_up(const db_pool_actor& pool) {
    caf::scoped_actor self{sys_};
    bool up = false;
    self->request(pool, 10s, pool_status_atom::value)
      .receive([&](db_pool_status& s) { up = s.database_up; }, [&](caf::error&) {});
    return up;
  }

  static inline std::string url_;
  caf::actor_system_config cfg_;
  caf::actor_system sys_{cfg_};
  std::vector<db_pool_actor> pools_;
};

}  // namespace

TEST_F(DbPoolQuery, AnswersWithRowsOrAClassifiedFailure) {
  auto pool = spawn();
  EXPECT_EQ(query(pool, named("query_test_echo", std::int64_t{42})), answer{42L});
  EXPECT_EQ(query(pool, named("query_test_insert", std::int64_t{1})), answer{-1L});
  EXPECT_EQ(query(pool, named("query_test_insert", std::int64_t{1})), answer{db_failure::conflict});
  EXPECT_EQ(query(pool, {{}, "SELECT 1 / 0", {}}), answer{db_failure::failed});
  EXPECT_EQ(query(pool, {"not_in_the_catalog", {}, {}}), answer{db_failure::failed});
  // None of those failures touched the connection or the pool's view of the database.
  EXPECT_EQ(query(pool, {{}, "SELECT $1::int * 2", {"21"}}), answer{42L});
  EXPECT_TRUE(database_up(pool));
}

TEST_F(DbPoolQuery, ManyQueriesInFlightAreEachAnsweredWithTheirOwnRows) {
  auto pool = spawn(2);
  caf::scoped_actor self{sys_};
  constexpr int count = 400;
  // Sent without waiting: the answers come back as messages, many in flight on
  // each connection at once.
  for (int i = 0; i < count; ++i)
    self->send(pool, query_atom::value,
               db_query{named("query_test_echo", std::int64_t{i}), "test", "req-test"});
  std::vector<int> seen(count, 0);
  int received = 0;
  self->receive_for(received, count)(
    [&](pg_rows& rows) { ++seen.at(rows.at(0)[0].as<std::size_t>()); },
    [&](caf::error& e) { ADD_FAILURE() << caf::to_string(e); });
  EXPECT_EQ(std::count(seen.begin(), seen.end(), 1), count);
}

TEST_F(DbPoolQuery, ASlowStatementDoesNotHoldUpTheQueriesAfterIt) {
  auto pool = spawn(2);
  ASSERT_EQ(query(pool, named("query_test_echo", std::int64_t{1})), answer{1L});
  // Once it has run a while, its connection counts as held up: a burst of
  // queries goes to the other connection instead of queueing behind it (by load
  // alone, every other one would have gone behind it).
  EXPECT_TRUE(answered_while_slow_runs(pool, {{}, "SELECT 7 FROM pg_sleep(3)", {}}, 200ms));
}

TEST_F(DbPoolQuery, QuickReadsDoNotQueueBehindAReadThatMayRunLong) {
  // One pipelined connection, as a service with one I/O thread has: a search
  // sent there would hold up every read behind it for as long as it runs. It
  // goes to the connection kept for such reads instead, from its first moment.
  auto pool = spawn(1);
  ASSERT_EQ(query(pool, named("query_test_echo", std::int64_t{1})), answer{1L});
  db_statement search{{}, "SELECT 7 FROM pg_sleep(3)", {}};
  search.may_run_long = true;
  EXPECT_TRUE(answered_while_slow_runs(pool, search, 50ms));
}

TEST_F(DbPoolQuery, AStatementPastTheTimeoutIsCancelledWhereNoSessionTimeoutCouldBeSet) {
  // Unnamed statements (behind a transaction-mode pooler) get no session
  // statement_timeout: the pool cancels the statement itself. Without the
  // cancel, the connection would be given up as stuck seconds later, and the
  // answer would be `unavailable`.
  auto pool = spawn(1, false, std::chrono::seconds{1});
  EXPECT_EQ(query(pool, {{}, "SELECT 7 FROM pg_sleep(30)", {}}), answer{db_failure::timeout});
  EXPECT_EQ(query(pool, named("query_test_echo", std::int64_t{5})), answer{5L});
  EXPECT_TRUE(database_up(pool));
}

// The value of `series` (name and labels, as rendered) in `metrics`; -1 when absent.
double metric_value(const service_metrics& metrics, const std::string& series) {
  const auto text = metrics.render();
  const auto at = text.find("\n" + series + " ");
  return at == std::string::npos ? -1 : std::stod(text.substr(at + series.size() + 2));
}

TEST_F(DbPoolQuery, QueriesInFlightWhenTheDatabaseStopsAreAnsweredAndThePoolRecovers) {
  auto metrics = std::make_shared<service_metrics>("pool-test");
  auto pool = spawn(2, true, std::chrono::seconds{5}, metrics);
  const std::string db_up = "db_up{service=\"pool-test\"}";
  EXPECT_EQ(metric_value(*metrics, db_up), 1);
  ASSERT_EQ(query(pool, named("query_test_echo", std::int64_t{1})), answer{1L});
  caf::scoped_actor self{sys_};
  self->send(pool, query_atom::value,
             db_query{{{}, "SELECT 7 FROM pg_sleep(20)", {}}, "test", "req-test"});
  for (int i = 0; i < 10; ++i)
    self->send(pool, query_atom::value,
               db_query{named("query_test_echo", std::int64_t{i}), "test", "req-test"});
  std::this_thread::sleep_for(100ms);
  svc_test::pg_ctl("stop");
  // Every one is answered (none hangs for the statement timeout), the sleeper
  // with a failure: a fast shutdown ends its session.
  int received = 0;
  int unavailable = 0;
  self->receive_for(received, 11)(
    [&](pg_rows&) {},
    [&](caf::error& e) { unavailable += db_failure_of(e) == db_failure::unavailable ? 1 : 0; });
  EXPECT_GE(unavailable, 1);
  // While it is down, queries fail fast, and db_up says so.
  EXPECT_EQ(query(pool, named("query_test_echo", std::int64_t{2})),
            answer{db_failure::unavailable});
  // (The pool answers a statement on a lost connection before it finds a fresh
  // one failing too: the gauge follows within the pool's turn.)
  EXPECT_TRUE(
    svc_test::poll_until([&] { return metric_value(*metrics, db_up) == 0; }, 500ms, 10ms));
  svc_test::pg_ctl("start");
  EXPECT_TRUE(svc_test::poll_until(
    [&] { return query(pool, named("query_test_echo", std::int64_t{3})) == answer{3L}; }, 10s,
    100ms));
  EXPECT_TRUE(database_up(pool));
  EXPECT_TRUE(svc_test::poll_until([&] { return metric_value(*metrics, db_up) == 1; }, 10s, 100ms));
  // Two transaction connections at most (pool_config's max), two pipelined ones
  // and two kept for reads that may run long.
  EXPECT_EQ(metric_value(*metrics, "db_pool_max_connections{service=\"pool-test\"}"), 6);
}

TEST_F(DbPoolQuery, AnIdlePoolServesTheFirstQueryAfterARestart) {
  auto pool = spawn(2);
  ASSERT_EQ(query(pool, named("query_test_echo", std::int64_t{1})), answer{1L});
  // Idle while PostgreSQL goes away: the connections break and fail to open
  // again, but nobody waits for them, so the database does not count as down...
  svc_test::pg_ctl("stop");
  std::this_thread::sleep_for(700ms);
  EXPECT_TRUE(database_up(pool));
  svc_test::pg_ctl("start");
  // ...and the first query after it is back gets its rows, not a 503.
  EXPECT_EQ(query(pool, named("query_test_echo", std::int64_t{6})), answer{6L});
}

// Its line carries everything that finds the request's other lines: the request
// id, the trace and span, and the caller's subject.
TEST_F(DbPoolQuery, AFailedQueryIsLoggedWithTheRequestItServed) {
  auto pool = spawn();
  caf::scoped_actor self{sys_};
  testing::internal::CaptureStdout();  // where the log goes (observability/log.cpp)
  std::optional<db_failure> failure;
  const log::request_scope scope{"req-7f3a9c", "4bf92f3577b34da6a3ce929d0e0e4736",
                                 "00f067aa0ba902b7", "client-42"};
  self
    ->request(pool, 30s, query_atom::value,
              db_query{{{}, "SELECT 1 / 0", {}}, "test.divide", scope})
    .receive([&](pg_rows&) {}, [&](caf::error& e) { failure = db_failure_of(e); });
  const auto log = testing::internal::GetCapturedStdout();
  EXPECT_EQ(failure, db_failure::failed);
  EXPECT_NE(log.find("\"request_id\":\"req-7f3a9c\""), std::string::npos) << log;
  EXPECT_NE(log.find("\"trace_id\":\"4bf92f3577b34da6a3ce929d0e0e4736\""), std::string::npos)
    << log;
  EXPECT_NE(log.find("\"span_id\":\"00f067aa0ba902b7\""), std::string::npos) << log;
  EXPECT_NE(log.find("\"sub\":\"client-42\""), std::string::npos) << log;
  EXPECT_NE(log.find("\"operation\":\"test.divide\""), std::string::npos) << log;
}
