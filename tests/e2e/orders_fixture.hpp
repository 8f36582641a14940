// orders_fixture.hpp: end-to-end tests of order-service with the REAL user-service
// behind it. Each suite starts its own pair of processes, each on a fresh database:
//
//   test ──HTTP──▶ order-service (db e2e_orders_<suite>_orders)
//                      │ GET /api/v1/users/{id}  (USER_SERVICE_URL, through the breaker)
//                      ▼
//                  user-service  (db e2e_orders_<suite>_users)
//
// Builds on e2e_fixture (instance_env, start_user_service, describe, is_error, ...).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "e2e/e2e_fixture.hpp"

namespace e2e {

#ifdef ORDER_SERVICE_BIN
inline constexpr const char* order_service_binary = ORDER_SERVICE_BIN;
#else
inline constexpr const char* order_service_binary = "order-service";
#endif

// Breaker and client settings of the test instances of order-service.
inline constexpr int test_breaker_threshold = 2;
inline constexpr int test_breaker_open_seconds = 2;
inline constexpr int test_client_timeout_seconds = 2;

// Environment of an order-service instance: instance_env() plus USER_SERVICE_URL
// and the small breaker settings above.
std::map<std::string, std::string> order_instance_env(std::uint16_t port,
                                                      const std::string& database_url,
                                                      std::uint16_t user_port);

// Creates database `db` afresh and starts order-service on it, pointed at
// user-service on 127.0.0.1:user_port; waits for /health/live.
running_service start_order_service(const std::string& db, std::uint16_t user_port,
                                    std::map<std::string, std::string> extra_env = {});

// Starts user-service on an EXISTING database `db` on a given port (a restart:
// same port, same data). `log_name` names the log file. Waits for /health/live.
running_service restart_user_service(const std::string& db, std::uint16_t port,
                                     const std::string& log_name);

// The exact decimal value of a JSON number's text in canonical form: no exponent,
// no leading zeros, no trailing fractional zeros ("1.3993e2" -> "139.93",
// "10000000000.0" -> "10000000000", "0.30" -> "0.3"). nullopt when not a number.
std::optional<std::string> canonical_decimal(const std::string& number_text);

// The raw text of the first JSON number value of member `key` in `body`
// ("total_amount": 139.93 -> "139.93"); nullopt when absent or not a number.
std::optional<std::string> raw_number(const std::string& body, const std::string& key);

// Checks that the raw JSON text of `key` in `body` is exactly the decimal `expected`.
::testing::AssertionResult has_exact_number(const std::string& body, const std::string& key,
                                            const std::string& expected);

// Shape of an order per the contract (fields, types, statuses, RFC 3339 UTC times).
::testing::AssertionResult is_order(const json& order);

// The value of the Prometheus sample `name{...}` whose labels contain every
// `label="value"` pair of `labels`; nullopt when there is no such sample.
std::optional<double> metric_value(const std::string& metrics_text, const std::string& name,
                                   const std::map<std::string, std::string>& labels);

// Whether a JSON log line of `log_text` carries "request_id": `request_id`.
bool log_has_request_id(const std::string& log_text, const std::string& request_id);

// Base of the order suites: one user-service and one order-service per suite.
class orders_suite : public ::testing::Test {
public:
  static void SetUpTestSuite();
  static void TearDownTestSuite();

protected:
  void SetUp() override;
  void TearDown() override;

  static std::uint16_t user_port() { return users_.port; }
  static std::uint16_t order_port() { return orders_.port; }
  static service_process& user_service() { return *users_.process; }
  static service_process& order_service() { return *orders_.process; }
  static const std::string& users_db() { return users_db_; }
  static bool user_service_running() { return users_.process && users_.process->running(); }

  http_client& orders() { return *order_client_; }
  http_client& users() { return *user_client_; }

  // A fresh lower-case token, unique within the run.
  static std::string tag();

  // Creates a user in user-service; returns its id (0 on failure, with a test failure).
  std::int64_t create_user(const std::string& who);
  // POSTs an order; expects 201 and returns `data` (an empty object on failure).
  json create_order(const json& body, header_map headers = {});
  // {"user_id": .., "product_name": .., "quantity": .., "price": ..} as raw JSON text,
  // so the price travels exactly as written ("19.99", not a double's digits).
  static std::string order_text(std::int64_t user_id, const std::string& product, int quantity,
                                const std::string& price, const std::string& extra_members = "");
  reply post_order_text(const std::string& body_text, header_map headers = {});

  // SIGKILLs user-service (the order-service stays up).
  static void kill_user_service();
  // Starts user-service again on the same port and database; throws on failure.
  static void restart_user_service();

private:
  static running_service users_;
  static running_service orders_;
  static std::string users_db_;
  static std::string start_error_;
  static int restarts_;
  std::unique_ptr<http_client> order_client_;
  std::unique_ptr<http_client> user_client_;
};

}  // namespace e2e
