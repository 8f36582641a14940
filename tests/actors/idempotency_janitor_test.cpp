// The idempotency janitor against a real PostgreSQL, on real threads: expired
// keys are deleted in batches, fresh ones kept, and a key once forgotten lets a
// retry create anew. Its timer: idempotency_janitor_timing_test.cpp.
#include <gtest/gtest.h>

#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "actor_test_support.hpp"
#include "actors/idempotency_janitor_actor.hpp"
#include "actors/users_actor.hpp"
#include "idempotency_key_rows.hpp"
#include "persistence/users_repository.hpp"

using namespace svc;
using namespace std::chrono_literals;

namespace {

class IdempotencyJanitor : public ::testing::Test {
protected:
  void SetUp() override {
    url_ = svc_test::fresh_database("idempotency_janitor_test");
    svc_test::migrate(url_, users_migrations());
    pool_ = spawn_db_pool(sys_, svc_test::pool_config(url_, users_statements(), 1, 4));
  }

  void TearDown() override {
    if (janitor_)
      caf::anon_send_exit(janitor_, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(pool_, caf::exit_reason::user_shutdown);
  }

  void store_key(const std::string& name, const std::string& age) {
    svc_test::store_idempotency_key(url_, name, age);
  }
  std::string stored_keys() { return svc_test::stored_idempotency_keys(url_); }

  std::int64_t purge_now() {
    caf::scoped_actor self{sys_};
    std::int64_t deleted = -1;
    self->request(janitor_, 30s, purge_keys_atom::value)
      .receive([&](std::int64_t n) { deleted = n; },
               [&](caf::error& e) { ADD_FAILURE() << caf::to_string(e); });
    return deleted;
  }

  caf::actor_system_config cfg_;
  caf::actor_system sys_{cfg_};
  std::string url_;
  db_pool_actor pool_;
  idempotency_janitor_actor janitor_;
};

TEST_F(IdempotencyJanitor, DeletesExpiredKeysInBatchesAndKeepsTheRest) {
  for (auto name : {"old1", "old2", "old3", "old4", "old5"})
    store_key(name, "2 days");
  store_key("almost", "23 hours");
  store_key("new", "0 seconds");
  // A batch of 2: five expired keys take three statements, the last one short.
  janitor_ = spawn_idempotency_janitor(sys_, {pool_, 24h, 1h, 2});
  EXPECT_EQ(purge_now(), 5);
  EXPECT_EQ(stored_keys(), "almost,new");
  EXPECT_EQ(purge_now(), 0);
  EXPECT_EQ(stored_keys(), "almost,new");
}

TEST_F(IdempotencyJanitor, AForgottenKeyCreatesAnew) {
  auto users = spawn_users_actor(sys_, pool_);
  janitor_ = spawn_idempotency_janitor(sys_, {pool_, 24h, 1h, 1000});
  auto create = [&](const std::string& email) {
    api_request req{"POST",
                    "/api/v1/users",
                    {},
                    {},
                    nlohmann::json{{"name", "Retry"}, {"email", email}}.dump(),
                    std::string{"application/json"},
                    std::nullopt,
                    std::string{"key-1"},
                    "test",
                    std::nullopt,
                    {},
                    collection_operation::create};
    caf::scoped_actor self{sys_};
    unsigned status = 0;
    self->request(users, 30s, handle_atom::value, std::move(req))
      .receive([&](http::response& r) { status = r.status; },
               [&](caf::error& e) { ADD_FAILURE() << caf::to_string(e); });
    return status;
  };
  EXPECT_EQ(create("first@example.com"), 201u);
  // Within the retention the key belongs to the first body: another body is refused.
  EXPECT_EQ(create("second@example.com"), 409u);
  {
    pqxx::connection conn{url_};
    pqxx::work tx{conn};
    tx.exec("UPDATE idempotency_keys SET created_at = now() - interval '25 hours'");
    tx.commit();
  }
  EXPECT_EQ(purge_now(), 1);
  EXPECT_EQ(create("second@example.com"), 201u);
  EXPECT_EQ(stored_keys(), "key-1");  // stored again, for the second user
  caf::anon_send_exit(users, caf::exit_reason::user_shutdown);
}

}  // namespace
