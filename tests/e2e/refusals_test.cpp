// Requests the server refuses before routing them (a body or header over its
// limit, framing that hides where the body ends, a target that does not parse)
// and CORS preflights: answered like every other /api/ request, with the rate
// limit and CORS headers, counted in the metrics and written to the access log.
#include "e2e/e2e_fixture.hpp"
#include "e2e/orders_fixture.hpp"  // metric_value, log_has_request_id

namespace e2e {
namespace {

class Refusals : public user_service_suite {};

constexpr auto origin = "http://app.example.com";

::testing::AssertionResult carries_api_headers(const reply& r) {
  for (const char* name : {"x-ratelimit-limit", "x-ratelimit-remaining"}) {
    const auto value = r.header(name);
    if (value.empty() || !std::all_of(value.begin(), value.end(), ::isdigit))
      return ::testing::AssertionFailure() << "no numeric " << name << ": " << describe(r);
  }
  const auto allow = r.header("access-control-allow-origin");
  if (allow != "*" && allow != origin)
    return ::testing::AssertionFailure() << "no allow-origin: " << describe(r);
  return ::testing::AssertionSuccess();
}

double errors_counted(const std::string& metrics, const std::string& code) {
  return metric_value(metrics, "app_errors_total", {{"code", code}}).value_or(0);
}

TEST_F(Refusals, RefusedBeforeRoutingCarryTheApiHeadersAndAreCountedAndLogged) {
  const std::string big(40000, 'a');  // over the default 16 KB header limit
  struct refused_case {
    std::string name;
    std::string bytes;
    unsigned status;
    std::string code;
  };
  const auto id = "refused-" + tag();
  const std::string headers = "Host: x\r\nOrigin: " + std::string{origin} +
                              "\r\nX-Request-ID: " + id + "\r\n";
  const std::vector<refused_case> cases = {
    {"body over the limit, from its length",
     "POST /api/v1/users HTTP/1.1\r\n" + headers +
       "Content-Type: application/json\r\nContent-Length: 10000000\r\n\r\n{\"name\":",
     413, "PAYLOAD_TOO_LARGE"},
    {"header over the limit",
     "GET /api/v1/users HTTP/1.1\r\n" + headers + "X-Big: " + big + "\r\n\r\n", 431,
     "REQUEST_HEADER_FIELDS_TOO_LARGE"},
    {"request target over the limit",
     "GET /api/v1/users?search=" + big + " HTTP/1.1\r\n" + headers + "\r\n", 414, "URI_TOO_LONG"},
    {"Content-Length with Transfer-Encoding",
     "POST /api/v1/users HTTP/1.1\r\n" + headers +
       "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
     400, "BAD_REQUEST"},
    {"a target that does not parse", "GET /api/v1/users?search=%ZZ HTTP/1.1\r\n" + headers + "\r\n",
     400, "BAD_REQUEST"},
  };
  const auto before = client().get("/metrics").body;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const auto raw = raw_exchange(port(), c.bytes);
    ASSERT_TRUE(raw.response.has_value())
      << "timed out: " << raw.timed_out << ", received: " << raw.received.substr(0, 300);
    EXPECT_TRUE(is_error(*raw.response, c.status, c.code));
    EXPECT_TRUE(carries_api_headers(*raw.response));
    EXPECT_EQ(raw.response->header("vary"), "Origin") << describe(*raw.response);
  }
  const auto after = client().get("/metrics").body;
  for (const auto& code : {"PAYLOAD_TOO_LARGE", "REQUEST_HEADER_FIELDS_TOO_LARGE", "URI_TOO_LONG"})
    EXPECT_EQ(errors_counted(after, code), errors_counted(before, code) + 1) << code;
  EXPECT_EQ(errors_counted(after, "BAD_REQUEST"), errors_counted(before, "BAD_REQUEST") + 2);
  // Labelled with the route the target names, where it names one.
  EXPECT_GE(metric_value(after, "http_requests_total",
                         {{"method", "POST"}, {"route", "/api/v1/users"}, {"status", "413"}})
              .value_or(0),
            1.0)
    << after;
  // The 413 and the framing error had their header parsed: the request id came through.
  EXPECT_TRUE(log_has_request_id(service().log_text(), id));
}

TEST_F(Refusals, PreflightsAreRateLimitedLikeTheirRequestAndUnknownRoutesAre404) {
  const header_map preflight = {{"Origin", origin}, {"Access-Control-Request-Method", "POST"}};
  const auto r = client().request("OPTIONS", "/api/v1/users", "", preflight);
  EXPECT_EQ(r.status, 204u) << describe(r);
  EXPECT_TRUE(carries_api_headers(r));

  for (const char* target : {"/api/v1/nothing", "/api/v1/users/1/orders", "/nope"}) {
    const auto unknown = client().request("OPTIONS", target, "", preflight);
    EXPECT_TRUE(is_error(unknown, 404, "NOT_FOUND")) << "OPTIONS " << target;
    EXPECT_EQ(unknown.has_header("x-ratelimit-limit"),
              std::string_view{target}.starts_with("/api/"))
      << describe(unknown);
  }
  // A probe's path is not rate limited, its preflight neither.
  const auto health = client().request("OPTIONS", "/health", "", preflight);
  EXPECT_EQ(health.status, 204u) << describe(health);
  EXPECT_FALSE(health.has_header("x-ratelimit-limit")) << describe(health);
}

}  // namespace
}  // namespace e2e
