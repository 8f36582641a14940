// The idempotency janitor's periodic sweep on the deterministic scheduler
// (manual_time.hpp), with the pool's stand-in (pool_stand_in.hpp) running its
// statements on the test database: a purge every interval and only then, the
// next tick after a failed purge, and never two purges at once.
#include <string>

#include <pqxx/pqxx>

#include "actor_test_support.hpp"  // migrate, fresh_database
#include "actors/idempotency_janitor_actor.hpp"
#include "idempotency_key_rows.hpp"
#include "manual_time.hpp"
#include "persistence/users_repository.hpp"
#include "pool_stand_in.hpp"

using namespace svc;
using namespace std::chrono_literals;
using svc_test::pool_script;

namespace {

class JanitorTiming : public svc_test::ManualTime {
protected:
  // One database for the suite, emptied before each test.
  static void SetUpTestSuite() {
    url_ = svc_test::fresh_database("janitor_timing_test");
    svc_test::migrate(url_, users_migrations());
  }

  void SetUp() override {
    script_ = svc_test::pool_script_for(url_, users_statements());
    pqxx::nontransaction{*script_->conn}.exec("DELETE FROM idempotency_keys");
    pool_ = keep(svc_test::spawn_pool_stand_in(sys_, script_));
  }

  idempotency_janitor_actor spawn(std::chrono::milliseconds interval) {
    return keep(
      spawn_idempotency_janitor(sys_, {caf::actor_cast<db_pool_actor>(pool_), 1h, interval, 1000}));
  }

  void store_key(const std::string& name, const std::string& age) {
    svc_test::store_idempotency_key(url_, name, age);
  }
  std::string stored_keys() { return svc_test::stored_idempotency_keys(url_); }

  std::size_t purges() const { return script_->tasks.size(); }

  static inline std::string url_;
  std::shared_ptr<pool_script> script_;
  caf::actor pool_;
};

}  // namespace

TEST_F(JanitorTiming, PurgesOncePerIntervalAndNotBefore) {
  store_key("old", "2 hours");
  store_key("new", "0 seconds");
  spawn(60s);
  run();
  EXPECT_EQ(purges(), 0u) << "nothing at start";
  advance(59999ms);
  EXPECT_EQ(purges(), 0u);
  EXPECT_EQ(stored_keys(), "new,old");
  advance(1ms);
  ASSERT_EQ(purges(), 1u);
  EXPECT_EQ(script_->tasks[0].operation, "idempotency.purge");
  EXPECT_EQ(stored_keys(), "new");
  // And again a minute later, unasked.
  store_key("old-again", "3 hours");
  advance(59999ms);
  EXPECT_EQ(purges(), 1u);
  EXPECT_EQ(stored_keys(), "new,old-again");
  advance(1ms);
  EXPECT_EQ(purges(), 2u);
  EXPECT_EQ(stored_keys(), "new");
}

TEST_F(JanitorTiming, AFailedPurgeIsTriedAgainOnTheNextTick) {
  store_key("old", "2 hours");
  spawn(10s);
  script_->how = pool_script::mode::fail;  // the database is down
  advance(10s);
  ASSERT_EQ(purges(), 1u);
  EXPECT_EQ(stored_keys(), "old");
  advance(10s);
  EXPECT_EQ(purges(), 2u) << "the failure must not stop the timer";
  script_->how = pool_script::mode::run;  // back
  advance(9999ms);
  EXPECT_EQ(stored_keys(), "old");
  advance(1ms);
  EXPECT_EQ(purges(), 3u);
  EXPECT_EQ(stored_keys(), "");
}

TEST_F(JanitorTiming, TheNextTickIsAnIntervalAfterAPurgeEndsNeverDuringOne) {
  store_key("old", "2 hours");
  spawn(10s);
  script_->how = pool_script::mode::hold;  // a purge that takes long
  advance(10s);
  ASSERT_EQ(purges(), 1u);
  advance(35s);  // three and a half intervals: no second purge beside the first
  EXPECT_EQ(purges(), 1u);
  script_->how = pool_script::mode::run;
  caf::anon_send(pool_, svc_test::release_atom::value);  // it ends, at 45 s
  run();
  EXPECT_EQ(stored_keys(), "");
  advance(9999ms);
  EXPECT_EQ(purges(), 1u);
  advance(1ms);
  EXPECT_EQ(purges(), 2u);
}
