#include "e2e/orders_fixture.hpp"

#include <cctype>
#include <iostream>
#include <regex>
#include <set>
#include <sstream>

namespace e2e {

std::map<std::string, std::string> order_instance_env(std::uint16_t port,
                                                      const std::string& database_url,
                                                      std::uint16_t user_port) {
  auto env = instance_env(port, database_url);
  env["USER_SERVICE_URL"] = "http://127.0.0.1:" + std::to_string(user_port);
  env["BREAKER_FAILURE_THRESHOLD"] = std::to_string(test_breaker_threshold);
  env["BREAKER_OPEN_TIMEOUT"] = std::to_string(test_breaker_open_seconds);
  env["BREAKER_HALF_OPEN_MAX"] = "1";
  env["HTTP_CLIENT_TIMEOUT"] = std::to_string(test_client_timeout_seconds);
  env["USER_CHECK_RECONCILE_INTERVAL"] = "1";
  env["RATE_LIMIT_RPS"] = "100000";
  env["RATE_LIMIT_BURST"] = "100000";
  env["DB_POOL_MIN_IDLE"] = "2";
  env["DB_POOL_MAX"] = "10";
  return env;
}

running_service start_order_service(const std::string& db, std::uint16_t user_port,
                                    std::map<std::string, std::string> extra_env) {
  running_service s;
  s.port = free_port();
  auto env = order_instance_env(s.port, fresh_database(db), user_port);
  for (auto& [key, value] : extra_env)
    env[key] = value;
  s.process = std::make_unique<service_process>(service_process::options{
    .executable = order_service_binary, .args = {}, .env = std::move(env), .log_name = db});
  s.process->wait_ready(s.port);
  return s;
}

running_service restart_user_service(const std::string& db, std::uint16_t port,
                                     const std::string& log_name) {
  running_service s;
  s.port = port;
  s.process = std::make_unique<service_process>(
    service_process::options{.executable = user_service_binary,
                             .args = {},
                             .env = instance_env(port, svc_test::database_url(db)),
                             .log_name = log_name});
  s.process->wait_ready(s.port);
  return s;
}

std::optional<std::string> canonical_decimal(const std::string& text) {
  static const std::regex number{R"(^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$)"};
  std::smatch m;
  if (!std::regex_match(text, m, number))
    return std::nullopt;
  const bool negative = m[1].length() > 0;
  std::string digits = m[2].str() + m[3].str();
  long long point = static_cast<long long>(m[2].length());  // digits before the point
  if (m[4].matched)
    point += std::stoll(m[4].str());
  // Pad so that 0 <= point <= digits.size().
  if (point < 0) {
    digits.insert(0, static_cast<std::size_t>(-point), '0');
    point = 0;
  }
  if (point > static_cast<long long>(digits.size()))
    digits.append(static_cast<std::size_t>(point) - digits.size(), '0');
  std::string integer = digits.substr(0, static_cast<std::size_t>(point));
  std::string fraction = digits.substr(static_cast<std::size_t>(point));
  while (!fraction.empty() && fraction.back() == '0')
    fraction.pop_back();
  const auto first = integer.find_first_not_of('0');
  integer = first == std::string::npos ? "0" : integer.substr(first);
  std::string out = integer + (fraction.empty() ? "" : "." + fraction);
  if (negative && out != "0")
    out.insert(0, "-");
  return out;
}

std::optional<std::string> raw_number(const std::string& body, const std::string& key) {
  const std::regex pattern{"\"" + key + R"("\s*:\s*(-?[0-9][0-9.eE+-]*))"};
  std::smatch m;
  if (!std::regex_search(body, m, pattern))
    return std::nullopt;
  return m[1].str();
}

::testing::AssertionResult has_exact_number(const std::string& body, const std::string& key,
                                            const std::string& expected) {
  const auto text = raw_number(body, key);
  if (!text)
    return ::testing::AssertionFailure() << "no number \"" << key << "\" in " << body;
  const auto value = canonical_decimal(*text);
  const auto want = canonical_decimal(expected);
  if (!value || !want || *value != *want)
    return ::testing::AssertionFailure()
           << "\"" << key << "\" is written as " << *text << ", expected exactly " << expected
           << " (body " << body << ")";
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult is_order(const json& o) {
  if (!o.is_object())
    return ::testing::AssertionFailure() << "order is not an object: " << o.dump();
  for (const char* key : {"id", "user_id", "product_name", "quantity", "price", "total_amount",
                          "status", "user_validated", "created_at", "updated_at"})
    if (!o.contains(key))
      return ::testing::AssertionFailure() << "order lacks \"" << key << "\": " << o.dump();
  if (!o["id"].is_number_integer() || o["id"].get<long long>() < 1)
    return ::testing::AssertionFailure() << "id is not a positive integer: " << o.dump();
  if (!o["user_id"].is_number_integer() || o["user_id"].get<long long>() < 1)
    return ::testing::AssertionFailure() << "user_id is not a positive integer: " << o.dump();
  if (!o["product_name"].is_string())
    return ::testing::AssertionFailure() << "product_name is not a string: " << o.dump();
  if (!o["quantity"].is_number_integer())
    return ::testing::AssertionFailure() << "quantity is not an integer: " << o.dump();
  if (!o["price"].is_number() || !o["total_amount"].is_number())
    return ::testing::AssertionFailure() << "price/total_amount are not JSON numbers: " << o.dump();
  static const std::set<std::string> statuses{"pending", "confirmed", "shipped", "delivered",
                                              "cancelled"};
  if (!o["status"].is_string() || statuses.count(o["status"].get<std::string>()) == 0)
    return ::testing::AssertionFailure() << "status is not an order status: " << o.dump();
  if (!o["user_validated"].is_boolean())
    return ::testing::AssertionFailure() << "user_validated is not a boolean: " << o.dump();
  static const std::set<std::string> checks{"validated", "pending", "user_not_found"};
  if (!o.contains("user_check") || !o["user_check"].is_string() ||
      checks.count(o["user_check"].get<std::string>()) == 0)
    return ::testing::AssertionFailure()
           << "user_check is not validated, pending or user_not_found: " << o.dump();
  if (o["user_validated"].get<bool>() != (o["user_check"] == "validated"))
    return ::testing::AssertionFailure()
           << "user_validated is not (user_check == validated): " << o.dump();
  if (auto ok = is_rfc3339_utc(o["created_at"]); !ok)
    return ok << " (created_at of " << o.dump() << ")";
  if (auto ok = is_rfc3339_utc(o["updated_at"]); !ok)
    return ok << " (updated_at of " << o.dump() << ")";
  return ::testing::AssertionSuccess();
}

std::optional<double> metric_value(const std::string& text, const std::string& name,
                                   const std::map<std::string, std::string>& labels) {
  std::istringstream in{text};
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#')
      continue;
    if (line.compare(0, name.size(), name) != 0)
      continue;
    const auto rest = line.substr(name.size());
    std::string label_text;
    std::string value_text;
    if (!rest.empty() && rest[0] == '{') {
      const auto close = rest.find('}');
      if (close == std::string::npos)
        continue;
      label_text = rest.substr(1, close - 1);
      value_text = rest.substr(close + 1);
    } else if (!rest.empty() && rest[0] == ' ') {
      value_text = rest;
    } else {
      continue;  // a longer metric name with the same prefix
    }
    bool all = true;
    for (const auto& [key, value] : labels)
      if (label_text.find(key + "=\"" + value + "\"") == std::string::npos)
        all = false;
    if (!all)
      continue;
    std::istringstream v{value_text};
    double d = 0;
    if (v >> d)
      return d;
  }
  return std::nullopt;
}

bool log_has_request_id(const std::string& log_text, const std::string& request_id) {
  std::istringstream in{log_text};
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] != '{')
      continue;
    try {
      const auto j = json::parse(line);
      if (j.is_object() && j.contains("request_id") && j["request_id"] == request_id)
        return true;
    } catch (const std::exception&) {
    }
  }
  return false;
}

running_service orders_suite::users_;
running_service orders_suite::orders_;
std::string orders_suite::users_db_;
std::string orders_suite::start_error_;
int orders_suite::restarts_ = 0;

void orders_suite::SetUpTestSuite() {
  start_error_.clear();
  restarts_ = 0;
  std::string base = "e2e_orders";
  if (const auto* suite = ::testing::UnitTest::GetInstance()->current_test_suite())
    base += std::string{"_"} + suite->name();
  for (auto& c : base)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  users_db_ = base + "_users";
  try {
    users_ = start_user_service(users_db_);
    orders_ = start_order_service(base + "_orders", users_.port);
  } catch (const std::exception& e) {
    start_error_ = std::string{"could not start the services: "} + e.what();
  }
}

void orders_suite::TearDownTestSuite() {
  for (auto* s : {&orders_, &users_}) {
    if (s->process && s->process->running()) {
      const auto code = s->process->terminate();
      if (code != 0)
        std::cerr << "e2e: " << s->process->log_path() << ": the service exited with "
                  << (code ? std::to_string(*code) : std::string{"a timeout"}) << "\n";
    }
    *s = {};
  }
}

void orders_suite::SetUp() {
  if (!start_error_.empty())
    GTEST_FAIL() << start_error_;
  if (!orders_.process || !users_.process)
    GTEST_FAIL() << "the services were not started";
  if (!orders_.process->running())
    GTEST_FAIL() << "order-service is not running; log " << orders_.process->log_path() << ":\n"
                 << orders_.process->log_tail();
  if (!users_.process->running())
    GTEST_FAIL() << "user-service is not running; log " << users_.process->log_path() << ":\n"
                 << users_.process->log_tail();
  order_client_ = std::make_unique<http_client>(orders_.port);
  user_client_ = std::make_unique<http_client>(users_.port);
}

void orders_suite::TearDown() {
  order_client_.reset();
  user_client_.reset();
  if (HasFailure()) {
    for (auto* s : {&orders_, &users_})
      if (s->process)
        std::cerr << "---- tail of " << s->process->log_path() << " ----\n"
                  << s->process->log_tail(40) << "---- end of log tail ----\n";
  }
}

std::string orders_suite::tag() {
  return svc_test::unique_tag("zo");
}

std::int64_t orders_suite::create_user(const std::string& who) {
  const auto t = tag();
  const json body = {{"name", who + " " + t}, {"email", who + "." + t + "@example.com"}};
  const auto r = users().post("/api/v1/users", body);
  EXPECT_EQ(r.status, 201u) << "POST user-service /api/v1/users " << body.dump() << " -> "
                            << describe(r);
  if (r.status != 201)
    return 0;
  try {
    return r.json().at("data").at("id").get<std::int64_t>();
  } catch (const std::exception&) {
    ADD_FAILURE() << "201 without data.id: " << describe(r);
    return 0;
  }
}

json orders_suite::create_order(const json& body, header_map headers) {
  const auto r = orders().post("/api/v1/orders", body, std::move(headers));
  EXPECT_EQ(r.status, 201u) << "POST /api/v1/orders " << body.dump() << " -> " << describe(r);
  if (r.status != 201)
    return json::object();
  try {
    return r.json().at("data");
  } catch (const std::exception&) {
    ADD_FAILURE() << "201 without a data object: " << describe(r);
    return json::object();
  }
}

std::string orders_suite::order_text(std::int64_t user_id, const std::string& product, int quantity,
                                     const std::string& price, const std::string& extra_members) {
  return "{\"user_id\": " + std::to_string(user_id) +
         ", \"product_name\": " + json(product).dump() +
         ", \"quantity\": " + std::to_string(quantity) + ", \"price\": " + price +
         (extra_members.empty() ? "" : ", " + extra_members) + "}";
}

reply orders_suite::post_order_text(const std::string& body_text, header_map headers) {
  if (headers.count("Content-Type") == 0)
    headers["Content-Type"] = "application/json";
  return orders().request("POST", "/api/v1/orders", body_text, std::move(headers));
}

void orders_suite::kill_user_service() {
  if (users_.process)
    users_.process->kill();
}

void orders_suite::restart_user_service() {
  const auto port = users_.port;
  users_ = {};  // reaps the old process (already killed) and removes its temp dir
  users_ = e2e::restart_user_service(users_db_, port,
                                     users_db_ + "_restart" + std::to_string(++restarts_));
}

}  // namespace e2e
