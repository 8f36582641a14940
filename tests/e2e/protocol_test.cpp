// The HTTP surface around the resource: request ids, routing errors, body limit,
// CORS, health, keep-alive, malformed requests.
#include <algorithm>
#include <sstream>

#include "e2e/e2e_fixture.hpp"

namespace e2e {
namespace {

class Protocol : public user_service_suite {};

std::set<std::string> split_list(const std::string& value) {
  std::set<std::string> out;
  std::stringstream in{value};
  std::string item;
  while (std::getline(in, item, ',')) {
    item.erase(0, item.find_first_not_of(" \t"));
    item.erase(item.find_last_not_of(" \t") + 1);
    std::transform(item.begin(), item.end(), item.begin(),
                   [](unsigned char c) { return std::toupper(c); });
    if (!item.empty())
      out.insert(item);
  }
  return out;
}

TEST_F(Protocol, RequestIdIsEchoedWhenValid) {
  const std::string id = "e2e-req-" + tag() + "/:;=~!";
  auto r = client().get("/api/v1/users", {{"X-Request-ID", id}});
  EXPECT_EQ(r.status, 200u) << describe(r);
  EXPECT_EQ(r.header("x-request-id"), id);
  r = client().get("/api/v1/users/999999998", {{"X-Request-ID", id}});
  EXPECT_TRUE(is_error(r, 404, "NOT_FOUND"));
  EXPECT_EQ(r.header("x-request-id"), id);
  EXPECT_EQ(r.json().value("request_id", ""), id) << "the error body carries the request id";
  const std::string longest(128, 'r');
  EXPECT_EQ(client().get("/health/live", {{"X-Request-ID", longest}}).header("x-request-id"),
            longest);
}

TEST_F(Protocol, RequestIdIsGeneratedWhenAbsentOrInvalid) {
  auto r = client().get("/api/v1/users");
  EXPECT_TRUE(is_uuid_v4(r.header("x-request-id"))) << describe(r);
  const auto again = client().get("/api/v1/users");
  EXPECT_NE(again.header("x-request-id"), r.header("x-request-id")) << "a new id per request";

  const std::string too_long(200, 'a');
  r = client().get("/api/v1/users", {{"X-Request-ID", too_long}});
  EXPECT_TRUE(is_uuid_v4(r.header("x-request-id"))) << describe(r);
  const std::string just_over(129, 'b');
  r = client().get("/api/v1/users/999999997", {{"X-Request-ID", just_over}});
  EXPECT_TRUE(is_uuid_v4(r.header("x-request-id"))) << describe(r);
  EXPECT_TRUE(is_error(r, 404, "NOT_FOUND"));
}

TEST_F(Protocol, UnknownRouteIsNotFound) {
  for (const char* target :
       {"/api/v1/nothing", "/nope", "/api/v2/users", "/api/v1/users/1/orders"}) {
    EXPECT_TRUE(is_error(client().get(target), 404, "NOT_FOUND")) << "GET " << target;
  }
  EXPECT_TRUE(is_error(client().post("/api/v1/nothing", json::object()), 404, "NOT_FOUND"));
}

TEST_F(Protocol, EncodedSlashNeverSplitsOrJoinsASegment) {
  const auto created = create_user(user_body("slash", tag()));
  ASSERT_TRUE(created.contains("id"));
  const auto id = std::to_string(created["id"].get<long long>());
  for (const auto& target :
       std::vector<std::string>{"/api/v1/users%2f" + id, "/api/v1/users%2F" + id, "/api%2Fv1/users",
                                "/api/v1%2Fusers/" + id}) {
    EXPECT_TRUE(is_error(client().get(target), 404, "NOT_FOUND")) << "GET " << target;
  }
  for (const auto& target : std::vector<std::string>{
         "/api/v1/users/" + id + "%2F2", "/api/v1/users/" + id + "%2f", "/api/v1/users/%2F" + id}) {
    EXPECT_TRUE(is_error(client().get(target), 400, "BAD_REQUEST"))
      << "GET " << target << ": a bad path id";
  }
  // Other escapes are decoded within their segment.
  const auto r = client().get("/api/v1/%75sers/" + id);
  EXPECT_EQ(r.status, 200u) << describe(r);
}

TEST_F(Protocol, WrongMethodIs405WithAllow) {
  auto r = client().request("PATCH", "/api/v1/users/1", R"({"name":"Patchy"})");
  EXPECT_TRUE(is_error(r, 405, "METHOD_NOT_ALLOWED"));
  auto allow = split_list(r.header("allow"));
  EXPECT_TRUE(allow.count("GET") && allow.count("PUT") && allow.count("DELETE")) << describe(r);
  EXPECT_FALSE(allow.count("POST") || allow.count("PATCH")) << describe(r);

  r = client().post("/api/v1/users/1", json::object());
  EXPECT_TRUE(is_error(r, 405, "METHOD_NOT_ALLOWED"));

  r = client().del("/api/v1/users");
  EXPECT_TRUE(is_error(r, 405, "METHOD_NOT_ALLOWED"));
  allow = split_list(r.header("allow"));
  EXPECT_TRUE(allow.count("GET") && allow.count("POST")) << describe(r);
  EXPECT_FALSE(allow.count("DELETE") || allow.count("PUT")) << describe(r);

  r = client().put("/api/v1/users", json::object());
  EXPECT_TRUE(is_error(r, 405, "METHOD_NOT_ALLOWED"));
  EXPECT_FALSE(r.header("allow").empty()) << describe(r);
}

TEST_F(Protocol, BodyOverTheLimitIs413) {
  const auto t = tag();
  auto body = user_body("big", t);
  body["name"] = "Big " + std::string(4000, 'b');
  const auto r = client().post("/api/v1/users", body);
  EXPECT_TRUE(is_error(r, 413, "PAYLOAD_TOO_LARGE"));
  const auto list = client().get("/api/v1/users?search=" + t);
  EXPECT_EQ(list.status, 200u) << "the service answers on after a 413: " << describe(list);

  // Refused from the announced length, before the body is read whole: the body
  // below is never sent, so a server that waits for it times out this exchange.
  const auto raw = raw_exchange(
    port(),
    "POST /api/v1/users HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    "Content-Type: application/json\r\nContent-Length: 10000000\r\n\r\n{\"name\":");
  ASSERT_TRUE(raw.response.has_value())
    << "no response; timed out: " << raw.timed_out << ", received: " << raw.received;
  EXPECT_TRUE(is_error(*raw.response, 413, "PAYLOAD_TOO_LARGE"));
}

// The limit is inclusive: a body of exactly MAX_BODY_BYTES is served, one byte
// more is refused. (JSON allows the blanks that pad the body to size.)
TEST_F(Protocol, BodyLimitIsExactToTheByte) {
  auto padded = [](json body, std::size_t size) {
    auto text = body.dump();
    EXPECT_LE(text.size(), size);
    text.append(size - std::min(size, text.size()), ' ');
    return text;
  };
  const auto at_limit = padded(user_body("limit", tag()), test_max_body_bytes);
  ASSERT_EQ(at_limit.size(), test_max_body_bytes);
  const auto created = client().request("POST", "/api/v1/users", at_limit);
  EXPECT_EQ(created.status, 201u) << describe(created);

  const auto over = padded(user_body("over", tag()), test_max_body_bytes + 1);
  ASSERT_EQ(over.size(), test_max_body_bytes + 1);
  const auto refused = client().request("POST", "/api/v1/users", over);
  EXPECT_TRUE(is_error(refused, 413, "PAYLOAD_TOO_LARGE"));
}

TEST_F(Protocol, PreflightAnswers204WithCorsHeaders) {
  const auto r = client().request(
    "OPTIONS", "/api/v1/users", "",
    {{"Origin", "http://app.example.com"},
     {"Access-Control-Request-Method", "POST"},
     {"Access-Control-Request-Headers", "content-type, x-request-id"}});
  EXPECT_EQ(r.status, 204u) << describe(r);
  EXPECT_TRUE(r.body.empty()) << describe(r);
  EXPECT_FALSE(r.has_header("content-length")) << "RFC 9110 8.6: " << describe(r);
  EXPECT_FALSE(r.has_header("transfer-encoding")) << describe(r);
  const auto origin = r.header("access-control-allow-origin");
  EXPECT_TRUE(origin == "*" || origin == "http://app.example.com") << describe(r);
  EXPECT_TRUE(split_list(r.header("access-control-allow-methods")).count("POST")) << describe(r);
  EXPECT_TRUE(split_list(r.header("access-control-allow-headers")).count("CONTENT-TYPE"))
    << describe(r);
  const auto max_age = r.header("access-control-max-age");
  EXPECT_FALSE(max_age.empty()) << describe(r);
  EXPECT_TRUE(!max_age.empty() && std::all_of(max_age.begin(), max_age.end(), ::isdigit))
    << max_age;

  const auto item = client().request(
    "OPTIONS", "/api/v1/users/1", "",
    {{"Origin", "http://app.example.com"}, {"Access-Control-Request-Method", "PUT"}});
  EXPECT_EQ(item.status, 204u) << describe(item);
  EXPECT_TRUE(split_list(item.header("access-control-allow-methods")).count("PUT"))
    << describe(item);
}

TEST_F(Protocol, NormalResponsesCarryAllowOrigin) {
  const header_map origin = {{"Origin", "http://app.example.com"}};
  const auto t = tag();
  for (const auto& r :
       {client().get("/api/v1/users", origin), client().get("/api/v1/users/999999996", origin),
        client().post("/api/v1/users", user_body("cors", t), origin),
        client().get("/health", origin)}) {
    const auto allow = r.header("access-control-allow-origin");
    EXPECT_TRUE(allow == "*" || allow == "http://app.example.com") << describe(r);
    // A browser's script reads the request id and the rest only when exposed.
    EXPECT_TRUE(split_list(r.header("access-control-expose-headers")).count("X-REQUEST-ID"))
      << describe(r);
  }
  // With the default "*" the header does not depend on an Origin being sent. The
  // expose list does: only a cross-origin request, which names its Origin, reads it.
  for (const auto& plain : {client().get("/api/v1/users"), client().get("/health/live")}) {
    EXPECT_EQ(plain.header("access-control-allow-origin"), "*") << describe(plain);
    EXPECT_FALSE(plain.has_header("access-control-expose-headers")) << describe(plain);
    // So the answer depends on Origin: a cache must not give it to a browser's request.
    EXPECT_EQ(plain.header("vary"), "Origin") << describe(plain);
  }
}

TEST_F(Protocol, EveryBodyIsJson) {
  const auto t = tag();
  const auto created = create_user(user_body("json", t));
  const auto id_path = "/api/v1/users/" + std::to_string(created.value("id", 0LL));
  std::vector<reply> replies = {
    client().get("/api/v1/users"),
    client().get(id_path),
    client().put(id_path, {{"age", 3}}),
    client().get("/api/v1/users/abc"),
    client().get("/api/v1/nope"),
    client().del("/api/v1/users"),
    client().post("/api/v1/users", json::object()),
    client().request("POST", "/api/v1/users", "{", {}),
    client().get("/health"),
    client().get("/health/live"),
    client().get("/health/ready"),
  };
  for (const auto& r : replies)
    EXPECT_TRUE(is_json_body(r));
}

TEST_F(Protocol, ApiResponsesCarryRateLimitHeaders) {
  for (const auto& r : {client().get("/api/v1/users"), client().get("/api/v1/users/999999995")}) {
    const auto limit = r.header("x-ratelimit-limit");
    const auto remaining = r.header("x-ratelimit-remaining");
    EXPECT_TRUE(!limit.empty() && std::all_of(limit.begin(), limit.end(), ::isdigit))
      << describe(r);
    EXPECT_TRUE(!remaining.empty() && std::all_of(remaining.begin(), remaining.end(), ::isdigit))
      << describe(r);
  }
}

TEST_F(Protocol, HealthEndpoints) {
  auto r = client().get("/health");
  ASSERT_EQ(r.status, 200u) << describe(r);
  ASSERT_TRUE(is_json_body(r));
  const auto j = r.json();
  EXPECT_EQ(j.value("status", ""), "ok") << r.body;
  EXPECT_EQ(j.value("service", ""), "user-service") << r.body;
  EXPECT_EQ(j.value("checks", json::object()), (json{{"database", "ok"}})) << r.body;

  r = client().get("/health/live");
  EXPECT_EQ(r.status, 200u) << describe(r);
  r = client().get("/health/ready");
  EXPECT_EQ(r.status, 200u) << describe(r);
}

TEST_F(Protocol, KeepAliveServesSeveralRequestsOnOneConnection) {
  const auto t = tag();
  std::vector<unsigned> statuses;
  statuses.push_back(client().get("/health/live").status);
  statuses.push_back(client().post("/api/v1/users", user_body("keep", t)).status);
  statuses.push_back(client().get("/api/v1/users?search=" + t).status);
  statuses.push_back(client().get("/api/v1/users/999999994").status);
  statuses.push_back(client().post("/api/v1/users", json::object()).status);
  statuses.push_back(client().get("/health").status);
  EXPECT_EQ(statuses, (std::vector<unsigned>{200, 201, 200, 404, 400, 200}));
  EXPECT_EQ(client().connections_opened(), 1u)
    << "every request, errors included, on one connection";
  EXPECT_TRUE(client().connected());
}

TEST_F(Protocol, MalformedRequestsGet400) {
  const std::vector<std::string> garbage = {
    "THIS IS NOT HTTP\r\n\r\n",
    "GET /api/v1/users HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: abc\r\n\r\n",
    "GET /api/v1/users HTTP/1.1\r\nHost 127.0.0.1\r\n\r\n",
  };
  for (const auto& bytes : garbage) {
    const auto raw = raw_exchange(port(), bytes);
    ASSERT_TRUE(raw.response.has_value())
      << "no response to " << bytes << "; timed out: " << raw.timed_out
      << ", received: " << raw.received;
    EXPECT_EQ(raw.response->status, 400u)
      << "request " << bytes << " -> " << describe(*raw.response);
    if (!raw.response->body.empty()) {
      EXPECT_TRUE(is_json_body(*raw.response));
    }
  }
  EXPECT_EQ(client().get("/health/live").status, 200u)
    << "the service answers on after malformed requests";
}

}  // namespace
}  // namespace e2e
