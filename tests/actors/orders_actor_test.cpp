#include <gtest/gtest.h>

#include <caf/send.hpp>
#include <nlohmann/json.hpp>
#include <thread>

#include "actor_test_support.hpp"
#include "actors/orders_actor.hpp"
#include "persistence/orders_repository.hpp"
#include "support/fake_server.hpp"

using namespace svc;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

class OrdersActor : public ::testing::Test {
protected:
  void SetUp() override {
    auto url = svc_test::fresh_database("orders_actor_test");
    svc_test::migrate(url, orders_migrations());
    pool_ = spawn_db_pool(sys_, svc_test::pool_config(url, orders_statements(), 2, 8));
    breaker_config bc;
    bc.target_name = "user-service";
    bc.base = http::base_url::parse(users_.url()).value();
    bc.settings = {2, 60s, 1};
    http::client_options client;
    client.total_timeout = 1000ms;
    bc.transport = http_transport(client);
    breaker_ = spawn_breaker(sys_, bc);
    orders_ = spawn_orders_actor(sys_, {pool_, breaker_});
  }

  void TearDown() override {
    for (auto a : {caf::actor_cast<caf::actor>(orders_), caf::actor_cast<caf::actor>(breaker_),
                   caf::actor_cast<caf::actor>(pool_)})
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  }

  http::response call(std::string method, std::string route, std::string body = {},
                      query_params path = {}, query_params query = {},
                      std::optional<std::string> if_match = {},
                      std::optional<std::string> key = {}) {
    auto operation = svc_test::operation_of(method, route);
    api_request req{std::move(method),
                    std::move(route),
                    std::move(path),
                    std::move(query),
                    std::move(body),
                    std::string{"application/json"},
                    std::move(if_match),
                    std::move(key),
                    "order-test",
                    std::nullopt,
                    {},
                    operation};
    return svc_test::ask(sys_, orders_, std::move(req));
  }

  http::response create(const std::string& body, std::optional<std::string> key = {}) {
    return call("POST", "/api/v1/orders", body, {}, {}, {}, std::move(key));
  }

  svc_test::fake_user_service users_;
  caf::actor_system_config cfg_;
  caf::actor_system sys_{cfg_};
  db_pool_actor pool_;
  breaker_actor breaker_;
  resource_actor orders_;
};

json data_of(const http::response& r) {
  return json::parse(r.body).at("data");
}

const std::string widget =
  R"({"user_id": 1, "product_name": "Widget", "quantity": 3, "price": 0.1})";

}  // namespace

TEST_F(OrdersActor, CreatesWithExactMoneyAndAValidatedUser) {
  auto r = create(widget);
  ASSERT_EQ(r.status, 201u) << r.body;
  auto o = data_of(r);
  EXPECT_EQ(o["user_validated"], true);
  EXPECT_EQ(o["status"], "pending");
  // Exact: 3 x 0.10 is 0.30, not 0.30000000000000004.
  EXPECT_NE(r.body.find("\"total_amount\":0.3,"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("\"price\":0.1,"), std::string::npos) << r.body;
  EXPECT_EQ(users_.last_request_id(), "order-test");
}

TEST_F(OrdersActor, UnknownUserIsAValidationError) {
  auto r = create(R"({"user_id": 42, "product_name": "Widget", "quantity": 1, "price": 5})");
  EXPECT_EQ(r.status, 400u);
  auto err = json::parse(r.body)["error"];
  EXPECT_EQ(err["code"], "VALIDATION_ERROR");
  EXPECT_EQ(err["details"][0]["field"], "user_id");
}

TEST_F(OrdersActor, OrdersAreStillTakenWhenUserServiceIsDown) {
  users_.stop();
  for (int i = 0; i < 4; ++i) {  // two failures open the breaker; the rest are rejected at once
    auto r = create(widget);
    ASSERT_EQ(r.status, 201u) << r.body;
    EXPECT_EQ(data_of(r)["user_validated"], false);
  }
  auto list = json::parse(call("GET", "/api/v1/orders").body);
  EXPECT_EQ(list["meta"]["total"], 4);
}

TEST_F(OrdersActor, IdempotentRetryCreatesOneOrder) {
  auto first = create(widget, "retry-1");
  ASSERT_EQ(first.status, 201u);
  auto calls = users_.calls.load();
  auto again = create(widget, "retry-1");
  EXPECT_EQ(again.status, 201u);
  EXPECT_EQ(again.body, first.body);
  EXPECT_EQ(users_.calls.load(), calls);  // a replay does not ask user-service again
  EXPECT_EQ(
    create(R"({"user_id": 2, "product_name": "Other", "quantity": 1, "price": 1})", "retry-1")
      .status,
    409u);

  std::vector<std::thread> clients;
  std::atomic<int> created{0};
  for (int i = 0; i < 6; ++i)
    clients.emplace_back([&] { created += create(widget, "burst").status == 201u; });
  for (auto& t : clients)
    t.join();
  EXPECT_EQ(created.load(), 6);
  EXPECT_EQ(json::parse(call("GET", "/api/v1/orders").body)["meta"]["total"], 2);
}

TEST_F(OrdersActor, UpdateRecomputesTotalAndKeepsTheUser) {
  auto id = data_of(create(widget))["id"].get<long>();
  auto item = [&](std::string method, std::string body, std::optional<std::string> if_match = {}) {
    return call(std::move(method), "/api/v1/orders/{id}", std::move(body),
                {{"id", std::to_string(id)}}, {}, std::move(if_match));
  };
  auto updated = item("PUT", R"({"quantity": 7, "price": 19.99, "status": "confirmed"})", "\"1\"");
  ASSERT_EQ(updated.status, 200u) << updated.body;
  EXPECT_NE(updated.body.find("\"total_amount\":139.93,"), std::string::npos) << updated.body;
  EXPECT_EQ(data_of(updated)["status"], "confirmed");
  EXPECT_EQ(item("PUT", R"({"user_id": 2})").status, 400u);
  EXPECT_EQ(item("PUT", R"({"quantity": 1})", "\"1\"").status, 412u);
  // An empty patch changes nothing, but a stale If-Match is still refused.
  EXPECT_EQ(item("PUT", "{}", "\"1\"").status, 412u);
  EXPECT_EQ(item("PUT", "{}", "\"2\"").status, 200u);
  EXPECT_EQ(item("DELETE", "").status, 204u);
  EXPECT_EQ(item("GET", "").status, 404u);
}

TEST_F(OrdersActor, ListFiltersByStatusUserAndProduct) {
  ASSERT_EQ(create(widget).status, 201u);
  ASSERT_EQ(
    create(
      R"({"user_id": 2, "product_name": "Gadget 50%", "quantity": 1, "price": 2, "status": "shipped"})")
      .status,
    201u);
  auto total = [&](query_params q) {
    return json::parse(call("GET", "/api/v1/orders", {}, {}, std::move(q)).body)["meta"]["total"];
  };
  EXPECT_EQ(total({{"user_id", "2"}}), 1);
  EXPECT_EQ(total({{"status", "pending"}}), 1);
  EXPECT_EQ(total({{"search", "gadget 50%"}}), 1);
  EXPECT_EQ(total({{"search", "widg"}}), 1);
  EXPECT_EQ(call("GET", "/api/v1/orders", {}, {}, {{"user_id", "0"}}).status, 400u);
  EXPECT_EQ(call("GET", "/api/v1/orders", {}, {}, {{"status", "lost"}}).status, 400u);
}
