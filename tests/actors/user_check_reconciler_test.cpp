// The validation budget and the user-check reconciler, with real actors, a real
// PostgreSQL and a fake user-service over real HTTP that the test switches
// between answering, hanging and being gone.
#include <gtest/gtest.h>

#include <caf/send.hpp>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <thread>

#include "actor_test_support.hpp"
#include "actors/orders_actor.hpp"
#include "actors/user_check_reconciler_actor.hpp"
#include "persistence/orders_repository.hpp"
#include "support/fake_server.hpp"

using namespace svc;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

class UserCheckReconciler : public ::testing::Test {
protected:
  void SetUp() override {
    url_ = svc_test::fresh_database("user_check_reconciler_test");
    svc_test::migrate(url_, orders_migrations());
    pool_ = spawn_db_pool(sys_, svc_test::pool_config(url_, orders_statements(), 2, 8));
    breaker_config bc;
    bc.target_name = "user-service";
    bc.base = http::base_url::parse(users_.url()).value();
    // Two failures open it; a probe after 50 ms (the timing of the breaker and of
    // the reconciler's ticks: *_timing_test.cpp, without waiting).
    bc.settings = {2, 50ms, 1};
    http::client_options client;
    client.total_timeout = 2000ms;
    bc.transport = http_transport(client);
    breaker_ = spawn_breaker(sys_, bc);
    orders_ = spawn_orders_actor(sys_, {pool_, breaker_, 300ms});
    reconciler_ = spawn_reconciler();
  }

  void TearDown() override {
    for (auto a : {caf::actor_cast<caf::actor>(reconciler_), caf::actor_cast<caf::actor>(orders_),
                   caf::actor_cast<caf::actor>(breaker_), caf::actor_cast<caf::actor>(pool_)})
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  }

  // Passes run only when the test asks (the timer's interval is an hour).
  user_check_reconciler_actor spawn_reconciler() {
    return spawn_user_check_reconciler(sys_, {pool_, breaker_, std::chrono::hours{1}, 2, metrics_});
  }

  http::response call(std::string method, std::string route, std::string body = {},
                      query_params path = {}) {
    auto operation = svc_test::operation_of(method, route);
    api_request req{std::move(method),
                    std::move(route),
                    std::move(path),
                    {},
                    std::move(body),
                    std::string{"application/json"},
                    {},
                    {},
                    "reconcile-test",
                    {},
                    {},
                    operation};
    return svc_test::ask(sys_, orders_, std::move(req));
  }

  json create(long user_id) {
    auto r = call(
      "POST", "/api/v1/orders",
      json{{"user_id", user_id}, {"product_name", "Thing"}, {"quantity", 1}, {"price", 2}}.dump());
    EXPECT_EQ(r.status, 201u) << r.body;
    return r.status == 201 ? json::parse(r.body)["data"] : json::object();
  }

  json get(std::int64_t id) {
    auto r = call("GET", "/api/v1/orders/{id}", {}, {{"id", std::to_string(id)}});
    EXPECT_EQ(r.status, 200u) << r.body;
    return r.status == 200 ? json::parse(r.body)["data"] : json::object();
  }

  reconcile_report reconcile(const user_check_reconciler_actor& r) {
    caf::scoped_actor self{sys_};
    reconcile_report out;
    self->request(r, 30s, reconcile_atom::value)
      .receive([&](reconcile_report& rep) { out = rep; },
               [&](caf::error& e) { ADD_FAILURE() << caf::to_string(e); });
    return out;
  }

  breaker_state breaker() {
    caf::scoped_actor self{sys_};
    breaker_state s = breaker_state::closed;
    self->request(breaker_, 10s, breaker_status_atom::value)
      .receive([&](breaker_status& st) { s = st.state; }, [&](caf::error&) {});
    return s;
  }

  svc_test::fake_user_service users_;
  caf::actor_system_config cfg_;
  caf::actor_system sys_{cfg_};
  std::string url_;
  std::shared_ptr<service_metrics> metrics_ = std::make_shared<service_metrics>("order-service");
  db_pool_actor pool_;
  breaker_actor breaker_;
  resource_actor orders_;
  user_check_reconciler_actor reconciler_;
};

}  // namespace

TEST_F(UserCheckReconciler, AnOrderWaitsForAHungUserServiceOnlyForTheBudget) {
  users_.behaviour = svc_test::fake_user_service::mode::hang;
  // The client gives up after 2 s; the order is answered after the 300 ms budget.
  const auto start = std::chrono::steady_clock::now();
  auto o = create(1);
  const auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(o["user_check"], "pending");
  EXPECT_EQ(o["user_validated"], false);
  EXPECT_LT(waited, 1500ms) << "answered on the budget, not on the client's timeout";
  // The call ran on after the order was answered: its timeout counts for the
  // breaker, and a second one opens it.
  create(2);
  EXPECT_TRUE(svc_test::poll_until([&] { return breaker() == breaker_state::open; }, 6s, 100ms))
    << "the slow calls behind the budget still count as failures";
}

TEST_F(UserCheckReconciler, SettlesPendingOrdersOnceUserServiceAnswers) {
  users_.stop();
  std::vector<json> orders;
  for (long user : {1L, 2L, 42L, 1L})  // 42 does not exist
    orders.push_back(create(user));
  for (const auto& o : orders)
    ASSERT_EQ(o["user_check"], "pending") << o.dump();

  // While user-service is gone nothing is settled, and nothing is lost.
  auto report = reconcile(reconciler_);
  EXPECT_EQ(report.validated + report.user_not_found, 0);
  EXPECT_GT(report.left_pending, 0);
  for (const auto& o : orders)
    EXPECT_EQ(get(o["id"])["user_check"], "pending");

  users_.start();
  std::this_thread::sleep_for(100ms);  // past the breaker's open timeout: a probe may go
  // Two orders a pass at most (batch 2).
  std::int64_t validated = 0, missing = 0;
  for (int pass = 0; pass < 6 && validated + missing < 4; ++pass) {
    report = reconcile(reconciler_);
    EXPECT_LE(report.validated + report.user_not_found + report.left_pending, 2);
    validated += report.validated;
    missing += report.user_not_found;
  }
  EXPECT_EQ(validated, 3);
  EXPECT_EQ(missing, 1);
  for (const auto& o : orders) {
    auto now = get(o["id"]);
    const bool exists = o["user_id"] != 42;
    EXPECT_EQ(now["user_check"], exists ? "validated" : "user_not_found") << now.dump();
    EXPECT_EQ(now["user_validated"], exists) << now.dump();
    EXPECT_NE(now["updated_at"], o["updated_at"]);
  }
  const auto text = metrics_->render();
  EXPECT_NE(
    text.find(
      "orders_user_check_reconciled_total{outcome=\"validated\",service=\"order-service\"} 3"),
    std::string::npos)
    << text;
  EXPECT_NE(
    text.find(
      "orders_user_check_reconciled_total{outcome=\"user_not_found\",service=\"order-service\"} 1"),
    std::string::npos)
    << text;
  // Nothing is left: a further pass finds no work.
  report = reconcile(reconciler_);
  EXPECT_EQ(report.validated + report.user_not_found + report.left_pending, 0);
}

// The work left is the pending rows themselves: a reconciler started afresh (a
// restarted order-service) finishes what another one could not.
TEST_F(UserCheckReconciler, AFreshReconcilerResumesFromTheDatabase) {
  users_.stop();
  auto o = create(3);
  ASSERT_EQ(o["user_check"], "pending");
  reconcile(reconciler_);
  caf::anon_send_exit(reconciler_, caf::exit_reason::user_shutdown);

  users_.start();
  std::this_thread::sleep_for(100ms);  // past the breaker's open timeout
  auto restarted = spawn_reconciler();
  reconcile_report report;
  for (int pass = 0; pass < 3 && report.validated == 0; ++pass)
    report = reconcile(restarted);
  EXPECT_EQ(report.validated, 1);
  EXPECT_EQ(get(o["id"])["user_check"], "validated");
  caf::anon_send_exit(restarted, caf::exit_reason::user_shutdown);
}

// An order a client changed after the reconciler read it keeps the client's
// change: the settle is conditional on the version read.
TEST_F(UserCheckReconciler, NeverOverwritesAnOrderChangedSinceItWasRead) {
  users_.stop();
  auto o = create(1);
  ASSERT_EQ(o["user_check"], "pending");
  pqxx::connection conn{url_};
  for (const auto& st : orders_statements())
    conn.prepare(st.name, st.sql);
  pqxx::work tx{conn};
  auto pending = pending_user_checks(tx, 0, 10);
  ASSERT_EQ(pending.size(), 1u);
  tx.exec("UPDATE orders SET quantity = 2, version = version + 1 WHERE id = " +
          std::to_string(pending[0].order_id));
  EXPECT_FALSE(settle_user_check(tx, pending[0], user_checks::validated));
  auto again = pending_user_checks(tx, 0, 10);
  ASSERT_EQ(again.size(), 1u) << "still pending, for the next pass";
  EXPECT_TRUE(settle_user_check(tx, again[0], user_checks::validated));
  EXPECT_TRUE(pending_user_checks(tx, 0, 10).empty());
  tx.commit();
  auto now = get(o["id"]);
  EXPECT_EQ(now["quantity"], 2) << "the client's change stays";
  EXPECT_EQ(now["user_check"], "validated");
}
