#include <gtest/gtest.h>

#include <caf/send.hpp>
#include <nlohmann/json.hpp>
#include <thread>

#include "actor_test_support.hpp"
#include "actors/users_actor.hpp"
#include "persistence/users_repository.hpp"

using namespace svc;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

class UsersActor : public ::testing::Test {
protected:
  void SetUp() override {
    auto url = svc_test::fresh_database("users_actor_test");
    svc_test::migrate(url, users_migrations());
    pool_ = spawn_db_pool(sys_, svc_test::pool_config(url, users_statements(), 2, 8));
    users_ = spawn_users_actor(sys_, pool_);
  }

  void TearDown() override {
    caf::anon_send_exit(users_, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(pool_, caf::exit_reason::user_shutdown);
  }

  http::response call(std::string method, std::string route, std::string body = {},
                      query_params path = {}, query_params query = {},
                      std::optional<std::string> if_match = {},
                      std::optional<std::string> idempotency_key = {}) {
    auto operation = svc_test::operation_of(method, route);
    api_request req{std::move(method),
                    std::move(route),
                    std::move(path),
                    std::move(query),
                    std::move(body),
                    std::string{"application/json"},
                    std::move(if_match),
                    std::move(idempotency_key),
                    "test-request",
                    std::nullopt,
                    {},
                    operation};
    return svc_test::ask(sys_, users_, std::move(req));
  }

  http::response create(const json& body) { return call("POST", "/api/v1/users", body.dump()); }
  http::response item(std::string method, std::int64_t id, std::string body = {},
                      std::optional<std::string> if_match = {}) {
    return call(std::move(method), "/api/v1/users/{id}", std::move(body),
                {{"id", std::to_string(id)}}, {}, std::move(if_match));
  }

  caf::actor_system_config cfg_;
  caf::actor_system sys_{cfg_};
  db_pool_actor pool_;
  resource_actor users_;
};

json data_of(const http::response& r) {
  return json::parse(r.body).at("data");
}

}  // namespace

TEST_F(UsersActor, CreateGetUpdateDeleteLifecycle) {
  auto created = create({{"name", "Ada"}, {"email", "ADA@example.com"}, {"age", 36}});
  ASSERT_EQ(created.status, 201u) << created.body;
  auto user = data_of(created);
  EXPECT_EQ(user["email"], "ada@example.com");
  EXPECT_EQ(user["status"], "active");
  ASSERT_NE(created.find_header("ETag"), nullptr);
  EXPECT_EQ(*created.find_header("ETag"), "\"1\"");
  auto id = user["id"].get<std::int64_t>();

  auto got = item("GET", id);
  EXPECT_EQ(got.status, 200u);
  EXPECT_EQ(data_of(got), user);

  auto updated = item("PUT", id, json{{"age", nullptr}, {"status", "inactive"}}.dump(), "\"1\"");
  ASSERT_EQ(updated.status, 200u) << updated.body;
  EXPECT_TRUE(data_of(updated)["age"].is_null());
  EXPECT_EQ(data_of(updated)["status"], "inactive");
  EXPECT_EQ(data_of(updated)["name"], "Ada");
  EXPECT_EQ(*updated.find_header("ETag"), "\"2\"");

  auto stale = item("PUT", id, json{{"name", "Lost update"}}.dump(), "\"1\"");
  EXPECT_EQ(stale.status, 412u);
  EXPECT_EQ(json::parse(stale.body)["error"]["code"], "PRECONDITION_FAILED");
  // An empty patch changes nothing, but a stale If-Match is still refused.
  EXPECT_EQ(item("PUT", id, "{}", "\"1\"").status, 412u);
  auto unchanged = item("PUT", id, "{}", "\"2\"");
  EXPECT_EQ(unchanged.status, 200u);
  ASSERT_NE(unchanged.find_header("ETag"), nullptr);

  EXPECT_EQ(item("DELETE", id, {}, "\"1\"").status, 412u);
  auto deleted = item("DELETE", id, {}, *unchanged.find_header("ETag"));
  EXPECT_EQ(deleted.status, 204u);
  EXPECT_TRUE(deleted.body.empty());
  EXPECT_EQ(item("GET", id).status, 404u);
  EXPECT_EQ(item("PUT", id, json{{"name", "Ghost"}}.dump()).status, 404u);
  EXPECT_EQ(item("DELETE", id).status, 404u);
}

TEST_F(UsersActor, EmailIsUniqueAmongLiveUsersIgnoringCase) {
  ASSERT_EQ(create({{"name", "One"}, {"email", "dup@example.com"}}).status, 201u);
  auto taken = create({{"name", "Two"}, {"email", "DUP@example.com"}});
  EXPECT_EQ(taken.status, 409u);
  auto body = json::parse(taken.body);
  EXPECT_EQ(body["success"], false);
  EXPECT_EQ(body["error"]["code"], "CONFLICT");
  EXPECT_EQ(body["request_id"], "test-request");
  // Once the first is deleted the address is free again.
  auto first = data_of(call("GET", "/api/v1/users", {}, {}, {{"search", "dup@"}}));
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(item("DELETE", first[0]["id"].get<std::int64_t>()).status, 204u);
  EXPECT_EQ(create({{"name", "Two"}, {"email", "dup@example.com"}}).status, 201u);
}

TEST_F(UsersActor, ConcurrentCreatesWithOneEmailHaveOneWinner) {
  std::vector<std::thread> clients;
  std::atomic<int> created{0}, conflicts{0};
  for (int i = 0; i < 8; ++i)
    clients.emplace_back([&, i] {
      auto r = create({{"name", "Racer " + std::to_string(i)}, {"email", "race@example.com"}});
      (r.status == 201u ? created : conflicts)++;
    });
  for (auto& t : clients)
    t.join();
  EXPECT_EQ(created.load(), 1);
  EXPECT_EQ(conflicts.load(), 7);
}

TEST_F(UsersActor, ListsNewestFirstWithExactMetaAndFilters) {
  for (int i = 1; i <= 12; ++i)
    ASSERT_EQ(create({{"name", std::string{"User "}.append(std::to_string(i))},
                      {"email", std::string{"u"}.append(std::to_string(i)).append("@example.com")},
                      {"status", i % 3 == 0 ? "inactive" : "active"}})
                .status,
              201u);
  auto page = call("GET", "/api/v1/users", {}, {}, {{"page", "2"}, {"page_size", "5"}});
  ASSERT_EQ(page.status, 200u);
  auto body = json::parse(page.body);
  EXPECT_EQ(body["meta"], (json{{"page", 2}, {"page_size", 5}, {"total", 12}, {"total_pages", 3}}));
  ASSERT_EQ(body["data"].size(), 5u);
  EXPECT_EQ(body["data"][0]["name"], "User 7");

  auto inactive = json::parse(call("GET", "/api/v1/users", {}, {}, {{"status", "inactive"}}).body);
  EXPECT_EQ(inactive["meta"]["total"], 4);
  auto search = json::parse(call("GET", "/api/v1/users", {}, {}, {{"search", "USER 1"}}).body);
  EXPECT_EQ(search["meta"]["total"], 4);  // User 1, 10, 11, 12
  auto beyond = json::parse(call("GET", "/api/v1/users", {}, {}, {{"page", "9"}}).body);
  EXPECT_TRUE(beyond["data"].empty());
  EXPECT_EQ(beyond["meta"]["total"], 12);
  auto literal = json::parse(call("GET", "/api/v1/users", {}, {}, {{"search", "%"}}).body);
  EXPECT_EQ(literal["meta"]["total"], 0);  // % is matched literally, not as a wildcard

  auto bad = call("GET", "/api/v1/users", {}, {}, {{"page_size", "500"}, {"status", "weird"}});
  EXPECT_EQ(bad.status, 400u);
  EXPECT_EQ(json::parse(bad.body)["error"]["details"].size(), 2u);
}

TEST_F(UsersActor, RejectsBadInputWithTheEnvelope) {
  auto malformed = call("POST", "/api/v1/users", "{\"name\": ");
  EXPECT_EQ(malformed.status, 400u);
  EXPECT_EQ(json::parse(malformed.body)["error"]["code"], "BAD_REQUEST");
  auto invalid = create({{"name", "x"}, {"email", "nope"}});
  EXPECT_EQ(invalid.status, 400u);
  EXPECT_EQ(json::parse(invalid.body)["error"]["code"], "VALIDATION_ERROR");
  EXPECT_EQ(item("GET", 0).status, 400u);
  auto sql = create({{"name", "Robert'); DROP TABLE users;--"}, {"email", "bobby@example.com"}});
  ASSERT_EQ(sql.status, 201u);
  EXPECT_EQ(data_of(sql)["name"], "Robert'); DROP TABLE users;--");
}

TEST_F(UsersActor, IdempotentCreateReturnsTheFirstAnswer) {
  auto body = json{{"name", "Idem"}, {"email", "idem@example.com"}}.dump();
  auto first = call("POST", "/api/v1/users", body, {}, {}, {}, "key-1");
  ASSERT_EQ(first.status, 201u);
  auto again = call("POST", "/api/v1/users", body, {}, {}, {}, "key-1");
  EXPECT_EQ(again.status, 201u);
  EXPECT_EQ(again.body, first.body);
  auto other = call("POST", "/api/v1/users",
                    json{{"name", "Idem"}, {"email", "other@example.com"}}.dump(), {}, {}, {},
                    "key-1");
  EXPECT_EQ(other.status, 409u);
  auto list = json::parse(call("GET", "/api/v1/users").body);
  EXPECT_EQ(list["meta"]["total"], 1);
}
