// e2e_fixture.hpp: one real user-service per test suite, on a fresh database, plus
// the contract checks the suites share.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "e2e/service_process.hpp"
#include "support/http_client.hpp"
#include "support/pg_env.hpp"
#include "support/test_util.hpp"

namespace e2e {

using nlohmann::json;

// The suites name tests/support/'s helpers as their own.
using svc_test::free_port;
using svc_test::fresh_database;
using svc_test::header_map;
using svc_test::http_client;
using svc_test::parse_response;
using svc_test::poll_until;
using svc_test::raw_exchange;
using svc_test::raw_result;
using svc_test::reply;
using svc_test::url_encode;

#ifdef USER_SERVICE_BIN
inline constexpr const char* user_service_binary = USER_SERVICE_BIN;
#else
inline constexpr const char* user_service_binary = "user-service";
#endif

inline constexpr unsigned test_max_body_bytes = 1024;

struct running_service {
  std::unique_ptr<service_process> process;
  std::uint16_t port = 0;
};

// Environment of a test instance: loopback, a free port, the database, info logs,
// MAX_BODY_BYTES=1024, rate limits high enough never to interfere, a small pool.
std::map<std::string, std::string> instance_env(std::uint16_t port,
                                                const std::string& database_url);

// Creates database `db` afresh and starts user-service on it; waits until
// /health/live answers 200 (throws with the log tail otherwise).
running_service start_user_service(const std::string& db,
                                   std::map<std::string, std::string> extra_env = {});

// "status 404, x-request-id ..., body {...}" for failure messages.
std::string describe(const reply& r);

// Contract checks, as assertion results so failures point at the caller.
::testing::AssertionResult is_json_body(const reply& r);
::testing::AssertionResult is_error(const reply& r, unsigned status, const std::string& code);
::testing::AssertionResult is_user(const json& user);
::testing::AssertionResult is_rfc3339_utc(const json& value);
::testing::AssertionResult is_uuid_v4(const std::string& value);
// The `field` of every entry of error.details (a multiset: duplicates show).
std::multiset<std::string> detail_fields(const reply& r);

// Walks every page of the list at `list_target` (a path and its filters, ending
// in "?" or "&": "/api/v1/users?status=active&") three rows a page, checking each page's
// meta and size, and that the pages hold meta.total ids in all, strictly
// descending (disjoint, newest first). Returns the ids in walked order.
std::vector<long long> walk_every_page(http_client& client, const std::string& list_target);

// The ids of `walked` that are among `created`, in walked order.
std::vector<long long> only_these(const std::vector<long long>& walked,
                                  const std::vector<long long>& created);

// GET /openapi.json of the service behind `client` is an OpenAPI 3.1 document whose
// /api/ operations are exactly `routes` ("METHOD /template", as main.cpp registers
// them), and for each documented path the service's own Allow header (from a 405)
// lists exactly the documented methods (HEAD beside GET): a route missing from the
// document, or documented and not served, fails.
::testing::AssertionResult serves_its_openapi_document(http_client& client,
                                                       const std::set<std::string>& routes);

// Base of the suites that share one instance of user-service.
class user_service_suite : public ::testing::Test {
public:
  static void SetUpTestSuite();
  static void TearDownTestSuite();

protected:
  void SetUp() override;
  void TearDown() override;

  static std::uint16_t port() { return instance_.port; }
  static service_process& service() { return *instance_.process; }
  http_client& client() { return *client_; }

  // A fresh lower-case token, unique within the run: for names, emails, searches.
  static std::string tag();
  // {"name": "<who> <tag>", "email": "<who>.<tag>@example.com"}
  static json user_body(const std::string& who, const std::string& tag);
  // POSTs `body`; expects 201 and returns `data` (an empty object on failure).
  json create_user(const json& body);

private:
  static running_service instance_;
  static std::string start_error_;
  std::unique_ptr<http_client> client_;
};

}  // namespace e2e
