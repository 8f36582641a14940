// The user-check reconciler's retry ticks on the deterministic scheduler
// (manual_time.hpp): the real breaker actor in front of a stand-in transport
// (user-service answering, or gone), the pool's stand-in (pool_stand_in.hpp)
// on the test database. A pass every interval, none while user-service's
// circuit is open, the probe on the first tick past the open timeout settling
// what waited, and the next tick always an interval after a pass has ended.
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "actor_test_support.hpp"  // migrate, fresh_database
#include "actors/user_check_reconciler_actor.hpp"
#include "manual_time.hpp"
#include "persistence/orders_repository.hpp"
#include "pool_stand_in.hpp"

using namespace svc;
using namespace std::chrono_literals;
using svc_test::pool_script;

namespace {

class ReconcilerTiming : public svc_test::ManualTime {
protected:
  // One database for the suite, emptied before each test.
  static void SetUpTestSuite() {
    url_ = svc_test::fresh_database("reconciler_timing_test");
    svc_test::migrate(url_, orders_migrations());
  }

  void SetUp() override {
    script_ = svc_test::pool_script_for(url_, orders_statements());
    pqxx::nontransaction{*script_->conn}.exec("DELETE FROM orders");
    pool_ = keep(svc_test::spawn_pool_stand_in(sys_, script_));
    breaker_config bc;
    bc.target_name = "user-service";
    bc.base = http::base_url::parse("http://user-service.invalid:8081").value();
    bc.settings = {1, 12s, 1};  // the first failure opens it; a probe 12 s later
    // user-service, answered at once: 200 for users 1 and 2, 404 otherwise; or gone.
    bc.transport = [calls = calls_, up = users_up_](
                     const std::string&, const http::base_url&, const std::string& target,
                     const std::vector<http::header>&, http::client_callback done) {
      calls->push_back(target);
      http::client_result r;
      if (!*up) {
        r.result = http::client_result::outcome::connect_failed;
      } else {
        r.result = http::client_result::outcome::response;
        const bool known = target.ends_with("/1") || target.ends_with("/2");
        r.status = known ? 200 : 404;
      }
      done(std::move(r));
    };
    breaker_ = keep(spawn_breaker(sys_, std::move(bc)));
    reconciler_ = keep(spawn_user_check_reconciler(
      sys_, {caf::actor_cast<db_pool_actor>(pool_), breaker_, 5s, 10, nullptr}));
  }

  // An order taken while user-service could not be asked; its id.
  std::int64_t pending_order(std::int64_t user_id) {
    pqxx::work tx{*script_->conn};
    auto o = insert_order(tx, order_draft{user_id, "Thing", 1, 200}, user_checks::pending);
    tx.commit();
    return o.id;
  }

  std::string user_check(std::int64_t order_id) {
    pqxx::nontransaction tx{*script_->conn};
    return tx.exec_params("SELECT user_check FROM orders WHERE id = $1", order_id)[0][0]
      .as<std::string>();
  }

  static inline std::string url_;
  std::shared_ptr<pool_script> script_;
  std::shared_ptr<std::vector<std::string>> calls_ = std::make_shared<std::vector<std::string>>();
  std::shared_ptr<bool> users_up_ = std::make_shared<bool>(false);
  caf::actor pool_;
  breaker_actor breaker_;
  user_check_reconciler_actor reconciler_;
};

}  // namespace

TEST_F(ReconcilerTiming, RetriesEveryIntervalAndSettlesOnTheFirstTickPastTheOpenCircuit) {
  const auto known = pending_order(1);
  const auto unknown = pending_order(42);
  run();
  EXPECT_TRUE(script_->tasks.empty()) << "no pass at start";
  advance(4999ms);
  EXPECT_TRUE(script_->tasks.empty());

  // 5 s: the first pass asks, user-service is gone: the circuit opens.
  advance(1ms);
  ASSERT_EQ(script_->tasks.size(), 1u);  // the read; nothing to record
  EXPECT_EQ(*calls_, std::vector<std::string>{"/api/v1/users/1"});
  EXPECT_EQ(user_check(known), "pending");

  // 10 s and 15 s: a pass each, its call rejected by the open circuit, not sent.
  *users_up_ = true;  // back, but the circuit does not know before the probe
  advance(5s);
  EXPECT_EQ(script_->tasks.size(), 2u);
  advance(5s);
  EXPECT_EQ(script_->tasks.size(), 3u);
  EXPECT_EQ(calls_->size(), 1u);
  EXPECT_EQ(user_check(known), "pending");

  // 20 s, past the open timeout (17 s): the pass's first call is the probe, it
  // closes the circuit, the second follows, and both answers are recorded.
  advance(5s);
  EXPECT_EQ(calls_->size(), 3u);
  EXPECT_EQ(script_->tasks.size(), 5u);  // the read and the settle
  EXPECT_EQ(user_check(known), "validated");
  EXPECT_EQ(user_check(unknown), "user_not_found");

  // Nothing is left: later passes read and ask nobody.
  advance(5s);
  EXPECT_EQ(script_->tasks.size(), 6u);
  EXPECT_EQ(calls_->size(), 3u);
}

TEST_F(ReconcilerTiming, AFailedReadIsRetriedOnTheNextTick) {
  const auto order = pending_order(2);
  *users_up_ = true;
  script_->how = pool_script::mode::fail;  // the database is down at 5 s
  advance(5s);
  EXPECT_EQ(script_->tasks.size(), 1u);
  EXPECT_TRUE(calls_->empty());
  script_->how = pool_script::mode::run;
  advance(4999ms);
  EXPECT_EQ(script_->tasks.size(), 1u);
  advance(1ms);
  EXPECT_EQ(calls_->size(), 1u);
  EXPECT_EQ(user_check(order), "validated");
}

TEST_F(ReconcilerTiming, TheNextTickIsAnIntervalAfterAPassEndsNeverDuringOne) {
  const auto order = pending_order(1);
  *users_up_ = true;
  script_->how = pool_script::mode::hold;  // the read takes long
  advance(5s);
  ASSERT_EQ(script_->tasks.size(), 1u);
  advance(30s);  // six intervals: still the one pass
  EXPECT_EQ(script_->tasks.size(), 1u);
  script_->how = pool_script::mode::run;
  caf::anon_send(pool_, svc_test::release_atom::value);  // the read ends at 35 s
  run();
  EXPECT_EQ(user_check(order), "validated");
  const auto after_pass = script_->tasks.size();  // the read and the settle
  EXPECT_EQ(after_pass, 2u);
  advance(4999ms);
  EXPECT_EQ(script_->tasks.size(), after_pass);
  advance(1ms);
  EXPECT_EQ(script_->tasks.size(), after_pass + 1);
}
