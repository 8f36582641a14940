// order-service with its own token (USER_SERVICE_TOKEN_FILE) against the REAL
// user-service with AUTH_MODE=jwt: orders are validated with the service's token,
// never the client's; a token file rewritten with a bad token, then a good one, is
// picked up without a restart; an unreadable token file stops start-up.
#include <thread>

#include "e2e/orders_fixture.hpp"
#include "token_factory.hpp"

namespace e2e {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
using svc::testing::epoch_seconds;
using svc::testing::sign_token;

const std::string secret = "e2e-orders-hs256-secret-32-bytes-or-more";

std::string hs_token(const std::string& sub, const std::string& scope,
                     std::chrono::seconds exp_in = 3600s) {
  return sign_token("HS256", secret, "",
                    {{"sub", sub}, {"scope", scope}, {"exp", epoch_seconds(exp_in)}});
}

class OrdersAuth : public ::testing::Test {
public:
  static void SetUpTestSuite() {
    try {
      std::string pattern = (fs::temp_directory_path() / "e2e_orders_auth_XXXXXX").string();
      if (!mkdtemp(pattern.data()))
        throw std::runtime_error("mkdtemp failed");
      dir_ = pattern;
      svc::testing::write_file(dir_ / "hs256", secret);
      service_token_ = hs_token("order-service", "users:read");
      svc::testing::write_file(dir_ / "token", service_token_ + "\n");
      const std::map<std::string, std::string> auth{
        {"AUTH_MODE", "jwt"}, {"AUTH_HS256_SECRET_FILE", (dir_ / "hs256").string()}};
      users_ = start_user_service("e2e_auth_orders_users", auth);
      auto order_env = auth;
      order_env["USER_SERVICE_TOKEN_FILE"] = (dir_ / "token").string();
      orders_ = start_order_service("e2e_auth_orders_orders", users_.port, order_env);
    } catch (const std::exception& e) {
      start_error_ = e.what();
    }
  }
  static void TearDownTestSuite() {
    if (orders_.process)
      orders_.process->terminate();
    if (users_.process)
      users_.process->terminate();
    orders_ = {};
    users_ = {};
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

protected:
  void SetUp() override {
    if (!start_error_.empty() || !users_.process || !orders_.process)
      GTEST_FAIL() << "services did not start: " << start_error_;
  }
  void TearDown() override {
    if (HasFailure())
      for (auto* s : {&users_, &orders_})
        if (s->process)
          std::cerr << "---- tail of " << s->process->log_path() << " ----\n"
                    << s->process->log_tail(25);
  }

  // A user made through user-service with an administrator's token.
  static std::int64_t create_user(const std::string& who) {
    http_client users{users_.port};
    auto r = users.post("/api/v1/users",
                        {{"name", who + " Example"}, {"email", who + "@example.com"}},
                        {{"Authorization", "Bearer " + hs_token("admin", "users:write")}});
    EXPECT_EQ(r.status, 201u) << describe(r);
    return r.status == 201 ? r.json()["data"]["id"].get<std::int64_t>() : 0;
  }

  // POSTs an order as a client holding only orders:* scopes; the created order.
  static json create_order(std::int64_t user_id) {
    http_client orders{orders_.port};
    auto r = orders.post(
      "/api/v1/orders",
      {{"user_id", user_id}, {"product_name", "Widget"}, {"quantity", 1}, {"price", 9.5}},
      {{"Authorization", "Bearer " + client_token()}});
    EXPECT_EQ(r.status, 201u) << describe(r);
    return r.status == 201 ? r.json()["data"] : json::object();
  }

  static const std::string& client_token() {
    static const std::string token = hs_token("shop-frontend", "orders:read orders:write");
    return token;
  }

  static fs::path dir_;
  static running_service users_, orders_;
  static std::string service_token_;
  static std::string start_error_;
};

fs::path OrdersAuth::dir_;
running_service OrdersAuth::users_;
running_service OrdersAuth::orders_;
std::string OrdersAuth::service_token_;
std::string OrdersAuth::start_error_;

TEST_F(OrdersAuth, OrdersAreValidatedWithTheServicesOwnToken) {
  auto user = create_user("validated");
  ASSERT_NE(user, 0);
  // The client's token (orders:* only) would get a 403 from user-service: the
  // validation succeeding shows order-service sent its own.
  auto order = create_order(user);
  EXPECT_EQ(order.value("user_validated", false), true) << order.dump();
  EXPECT_EQ(order.value("user_check", ""), "validated") << order.dump();
  // order-service's own API wants a token too.
  http_client orders{orders_.port};
  auto r = orders.get("/api/v1/orders");
  EXPECT_TRUE(is_error(r, 401, "UNAUTHORIZED")) << describe(r);
  EXPECT_EQ(r.header("www-authenticate"), "Bearer realm=\"order-service\"");
  auto users_log = users_.process->log_text();
  EXPECT_NE(users_log.find("\"sub\":\"order-service\""), std::string::npos)
    << "user-service saw order-service's token";
}

TEST_F(OrdersAuth, ARewrittenTokenFileIsPickedUpWithoutARestart) {
  auto user = create_user("rotation");
  ASSERT_NE(user, 0);
  // An expired token: user-service answers 401, the order is taken unvalidated.
  svc::testing::write_file(dir_ / "token", hs_token("order-service", "users:read", -3600s));
  EXPECT_TRUE(
    poll_until([&] { return create_order(user).value("user_check", "") == "pending"; }, 10s, 300ms))
    << "the expired token is sent within a second or so";
  svc::testing::write_file(dir_ / "token", service_token_);
  EXPECT_TRUE(
    poll_until([&] { return create_order(user).value("user_validated", false); }, 10s, 300ms))
    << "the good token is back without a restart";
}

TEST_F(OrdersAuth, NoTokenInEitherLog) {
  for (auto* s : {&users_, &orders_}) {
    auto log = s->process->log_text();
    EXPECT_EQ(log.find(service_token_), std::string::npos) << s->process->log_path();
    EXPECT_EQ(log.find(client_token()), std::string::npos) << s->process->log_path();
    EXPECT_EQ(log.find(secret), std::string::npos) << s->process->log_path();
  }
}

TEST(OrdersAuthStartup, AnUnreadableTokenFileStopsStartUp) {
  auto env = order_instance_env(free_port(), "postgresql://postgres@127.0.0.1:1/orders", 1);
  env["USER_SERVICE_TOKEN_FILE"] = "/no/such/token";
  service_process proc{{.executable = order_service_binary,
                        .args = {},
                        .env = env,
                        .log_name = "e2e_auth_token_file"}};
  auto code = proc.wait_exit(20s);
  auto log = proc.log_text();
  EXPECT_EQ(code, 2) << log;
  EXPECT_NE(log.find("invalid value for --user-service.token-file (USER_SERVICE_TOKEN_FILE)"),
            std::string::npos)
    << log;
}

}  // namespace
}  // namespace e2e
