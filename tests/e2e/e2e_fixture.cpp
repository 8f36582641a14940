#include "e2e/e2e_fixture.hpp"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <functional>
#include <iostream>
#include <iterator>
#include <regex>

namespace e2e {

std::map<std::string, std::string> instance_env(std::uint16_t port,
                                                const std::string& database_url) {
  return {
    {"HTTP_HOST", "127.0.0.1"},
    {"HTTP_PORT", std::to_string(port)},
    {"DATABASE_URL", database_url},
    {"LOG_LEVEL", "info"},
    // Two, whatever the machine: the suites keep the actors' cross-thread paths
    // covered (under TSan too), where the default would give a 2-core CI one.
    {"HTTP_THREADS", "2"},
    {"MAX_BODY_BYTES", std::to_string(test_max_body_bytes)},
    {"CORS_ALLOWED_ORIGINS", "*"},
    {"RATE_LIMIT_RPS", "100000"},
    {"RATE_LIMIT_BURST", "100000"},
    {"DB_POOL_MIN_IDLE", "2"},
    {"DB_POOL_MAX", "10"},
  };
}

running_service start_user_service(const std::string& db,
                                   std::map<std::string, std::string> extra_env) {
  running_service s;
  s.port = free_port();
  auto env = instance_env(s.port, fresh_database(db));
  for (auto& [key, value] : extra_env)
    env[key] = value;
  s.process = std::make_unique<service_process>(service_process::options{
    .executable = user_service_binary, .args = {}, .env = std::move(env), .log_name = db});
  s.process->wait_ready(s.port);
  return s;
}

std::string describe(const reply& r) {
  std::string out = "status " + std::to_string(r.status) + ", headers {";
  for (const auto& [name, value] : r.headers)
    out += name + ": " + value + "; ";
  out += "}, body: " + (r.body.size() > 2000 ? r.body.substr(0, 2000) + "..." : r.body);
  return out;
}

::testing::AssertionResult is_json_body(const reply& r) {
  auto type = r.header("content-type");
  for (auto& c : type)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (type.rfind("application/json", 0) != 0)
    return ::testing::AssertionFailure() << "Content-Type is not application/json: " << describe(r);
  try {
    (void)r.json();
  } catch (const std::exception& e) {
    return ::testing::AssertionFailure()
           << "body is not JSON (" << e.what() << "): " << describe(r);
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult is_error(const reply& r, unsigned status, const std::string& code) {
  if (r.status != status)
    return ::testing::AssertionFailure()
           << "expected status " << status << " " << code << ", got " << describe(r);
  if (auto ok = is_json_body(r); !ok)
    return ok;
  const auto j = r.json();
  if (!j.is_object() || j.value("success", true) != false)
    return ::testing::AssertionFailure() << "expected \"success\": false: " << describe(r);
  if (!j.contains("error") || !j["error"].is_object() || !j["error"].contains("code") ||
      j["error"]["code"] != code)
    return ::testing::AssertionFailure() << "expected error.code " << code << ": " << describe(r);
  if (!j["error"].contains("message") || !j["error"]["message"].is_string() ||
      j["error"]["message"].get<std::string>().empty())
    return ::testing::AssertionFailure() << "expected a non-empty error.message: " << describe(r);
  if (!j.contains("request_id") || !j["request_id"].is_string() ||
      j["request_id"].get<std::string>() != r.header("x-request-id"))
    return ::testing::AssertionFailure()
           << "expected request_id equal to the X-Request-ID header: " << describe(r);
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult is_rfc3339_utc(const json& value) {
  static const std::regex pattern{R"(^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$)"};
  if (!value.is_string() || !std::regex_match(value.get<std::string>(), pattern))
    return ::testing::AssertionFailure()
           << value.dump() << " is not an RFC 3339 UTC time ending in Z";
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult is_uuid_v4(const std::string& value) {
  static const std::regex pattern{
    "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", std::regex::icase};
  if (!std::regex_match(value, pattern))
    return ::testing::AssertionFailure() << "'" << value << "' is not a UUID v4";
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult is_user(const json& u) {
  if (!u.is_object())
    return ::testing::AssertionFailure() << "user is not an object: " << u.dump();
  for (const char* key : {"id", "name", "email", "age", "status", "created_at", "updated_at"})
    if (!u.contains(key))
      return ::testing::AssertionFailure() << "user lacks \"" << key << "\": " << u.dump();
  if (!u["id"].is_number_integer() || u["id"].get<long long>() < 1)
    return ::testing::AssertionFailure() << "id is not a positive integer: " << u.dump();
  if (!u["name"].is_string() || !u["email"].is_string())
    return ::testing::AssertionFailure() << "name/email are not strings: " << u.dump();
  if (!u["age"].is_null() && !u["age"].is_number_integer())
    return ::testing::AssertionFailure() << "age is neither null nor an integer: " << u.dump();
  if (u["status"] != "active" && u["status"] != "inactive")
    return ::testing::AssertionFailure() << "status is not active/inactive: " << u.dump();
  if (auto ok = is_rfc3339_utc(u["created_at"]); !ok)
    return ok << " (created_at of " << u.dump() << ")";
  if (auto ok = is_rfc3339_utc(u["updated_at"]); !ok)
    return ok << " (updated_at of " << u.dump() << ")";
  return ::testing::AssertionSuccess();
}

std::multiset<std::string> detail_fields(const reply& r) {
  std::multiset<std::string> out;
  try {
    const auto j = r.json();
    for (const auto& d : j.at("error").at("details"))
      out.insert(d.at("field").get<std::string>());
  } catch (const std::exception&) {
    out.insert("<no error.details[].field in the body>");
  }
  return out;
}

running_service user_service_suite::instance_;
std::string user_service_suite::start_error_;

void user_service_suite::SetUpTestSuite() {
  start_error_.clear();
  std::string db = "e2e_users";
  if (const auto* suite = ::testing::UnitTest::GetInstance()->current_test_suite())
    db += std::string{"_"} + suite->name();
  for (auto& c : db)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  try {
    instance_ = start_user_service(db);
  } catch (const std::exception& e) {
    start_error_ = std::string{"could not start user-service: "} + e.what();
    instance_ = {};
  }
}

void user_service_suite::TearDownTestSuite() {
  if (instance_.process) {
    const auto code = instance_.process->terminate();
    if (code != 0)
      std::cerr << "e2e: user-service of this suite exited with "
                << (code ? std::to_string(*code) : std::string{"a timeout"}) << "; log "
                << instance_.process->log_path() << "\n";
  }
  instance_ = {};
}

void user_service_suite::SetUp() {
  if (!start_error_.empty())
    GTEST_FAIL() << start_error_;
  if (!instance_.process)
    GTEST_FAIL() << "user-service was not started";
  if (!instance_.process->running())
    GTEST_FAIL() << "user-service is not running; log " << instance_.process->log_path() << ":\n"
                 << instance_.process->log_tail();
  client_ = std::make_unique<http_client>(instance_.port);
}

void user_service_suite::TearDown() {
  client_.reset();
  if (HasFailure() && instance_.process)
    std::cerr << "---- tail of " << instance_.process->log_path() << " ----\n"
              << instance_.process->log_tail(40) << "---- end of log tail ----\n";
}

std::string user_service_suite::tag() {
  return svc_test::unique_tag("zq");
}

json user_service_suite::user_body(const std::string& who, const std::string& tag) {
  return {{"name", who + " " + tag}, {"email", who + "." + tag + "@example.com"}};
}

json user_service_suite::create_user(const json& body) {
  const auto r = client().post("/api/v1/users", body);
  EXPECT_EQ(r.status, 201u) << "POST /api/v1/users " << body.dump() << " -> " << describe(r);
  if (r.status != 201)
    return json::object();
  try {
    return r.json().at("data");
  } catch (const std::exception& e) {
    ADD_FAILURE() << "201 without a data object: " << describe(r);
    return json::object();
  }
}

::testing::AssertionResult serves_its_openapi_document(http_client& client,
                                                       const std::set<std::string>& routes) {
  const auto r = client.get("/openapi.json");
  if (r.status != 200 || r.header("content-type").rfind("application/json", 0) != 0)
    return ::testing::AssertionFailure() << "GET /openapi.json: " << describe(r);
  const auto doc = json::parse(r.body, nullptr, false);
  if (!doc.is_object() || doc.value("openapi", "").rfind("3.1", 0) != 0 || !doc.contains("paths"))
    return ::testing::AssertionFailure()
           << "not an OpenAPI 3.1 document: " << r.body.substr(0, 200);
  static const std::set<std::string> methods{"get",   "put",  "post",   "delete",
                                             "patch", "head", "options"};
  std::set<std::string> documented;
  for (const auto& [path, item] : doc["paths"].items()) {
    if (path.rfind("/api/", 0) != 0)
      continue;
    std::set<std::string> here;
    for (const auto& [method, operation] : item.items())
      if (methods.count(method) && method != "head") {
        std::string upper;
        for (char c : method)
          upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        here.insert(upper);
        documented.insert(upper + " " + path);
      }
    // The service's own list of methods for this path, from a 405.
    std::string concrete;  // the template with each {parameter} as 1
    bool in_parameter = false;
    for (char c : path) {
      if (c == '{')
        concrete += '1';
      if (c == '{' || c == '}')
        in_parameter = c == '{';
      else if (!in_parameter)
        concrete += c;
    }
    const auto refused = client.request("TRACE", concrete);
    std::set<std::string> allowed;
    auto allow = refused.header("allow");
    for (std::size_t start = 0; start < allow.size();) {
      auto comma = std::min(allow.find(',', start), allow.size());
      auto item_text = allow.substr(start, comma - start);
      item_text.erase(0, item_text.find_first_not_of(' '));
      item_text.erase(item_text.find_last_not_of(' ') + 1);
      if (!item_text.empty() && item_text != "HEAD")
        allowed.insert(item_text);
      start = comma + 1;
    }
    if (refused.status != 405 || allowed != here)
      return ::testing::AssertionFailure()
             << path << ": documented " << json(here).dump() << ", served " << json(allowed).dump()
             << " (" << describe(refused) << ")";
  }
  if (documented != routes)
    return ::testing::AssertionFailure() << "documented operations " << json(documented).dump()
                                         << " are not the routes " << json(routes).dump();
  return ::testing::AssertionSuccess();
}

std::vector<long long> walk_every_page(http_client& client, const std::string& list_target) {
  constexpr long long size = 3;
  auto page_of = [&](long long page) {
    const auto r = client.get(list_target + "page=" + std::to_string(page) +
                              "&page_size=" + std::to_string(size));
    EXPECT_EQ(r.status, 200u) << describe(r);
    return r.status == 200 ? r.json() : json::object();
  };
  const auto first = page_of(1);
  const auto total = first["meta"].value("total", 0LL),
             pages = first["meta"].value("total_pages", 0LL);
  EXPECT_LE(pages, 1000) << "too many pages to walk";
  std::vector<long long> walked;
  for (long long page = 1; page <= std::min(pages, 1000LL); ++page) {
    const auto j = page_of(page);
    EXPECT_EQ(
      j["meta"],
      (json{{"page", page}, {"page_size", size}, {"total", total}, {"total_pages", pages}}));
    const auto before = walked.size();
    for (const auto& item : j.value("data", json::array()))
      walked.push_back(item.value("id", 0LL));
    EXPECT_EQ(walked.size() - before,
              static_cast<std::size_t>(page < pages ? size : total - size * (pages - 1)));
  }
  EXPECT_EQ(walked.size(), static_cast<std::size_t>(total));
  EXPECT_TRUE(std::adjacent_find(walked.begin(), walked.end(), std::less_equal<>{}) == walked.end())
    << "not strictly descending (a repeat or a disorder)";
  return walked;
}

std::vector<long long> only_these(const std::vector<long long>& walked,
                                  const std::vector<long long>& created) {
  std::vector<long long> mine;
  std::copy_if(walked.begin(), walked.end(), std::back_inserter(mine), [&](long long id) {
    return std::find(created.begin(), created.end(), id) != created.end();
  });
  return mine;
}

}  // namespace e2e
