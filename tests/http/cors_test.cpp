#include "http/cors.hpp"

#include <gtest/gtest.h>

using namespace svc::http;

namespace {

// The CORS headers a normal response gets for a request with `origin`.
response normal_response(const std::vector<std::string>& allowed, const std::string* origin) {
  response resp;
  add_cors_headers(resp, allowed, origin);
  return resp;
}

const std::vector<std::string> all{"*"};
const std::vector<std::string> listed{"https://app.example.com", "http://localhost:3000"};

}  // namespace

TEST(cors, wildcard_allows_everyone) {
  std::string origin = "https://evil.example";
  auto h = normal_response(all, &origin);
  ASSERT_NE(h.find_header("Access-Control-Allow-Origin"), nullptr);
  EXPECT_EQ(*h.find_header("Access-Control-Allow-Origin"), "*");
  ASSERT_NE(h.find_header("Access-Control-Expose-Headers"), nullptr);
  EXPECT_EQ(
    *h.find_header("Access-Control-Expose-Headers"),
    "X-Request-ID, ETag, Location, Link, Idempotent-Replayed, X-RateLimit-Limit, X-RateLimit-Remaining, Retry-After");
}

TEST(cors, a_request_without_origin_gets_the_allow_origin_but_no_expose_list) {
  // The contract: normal responses carry the allow-origin header. The expose list
  // is read only by a browser's cross-origin request, which always names its Origin.
  auto h = normal_response(all, nullptr);
  ASSERT_NE(h.find_header("Access-Control-Allow-Origin"), nullptr);
  EXPECT_EQ(*h.find_header("Access-Control-Allow-Origin"), "*");
  EXPECT_EQ(h.find_header("Access-Control-Expose-Headers"), nullptr);
  // A cache must not hand this answer to a cross-origin request, which gets more.
  ASSERT_NE(h.find_header("Vary"), nullptr);
  EXPECT_EQ(*h.find_header("Vary"), "Origin");
  std::string empty;
  EXPECT_EQ(normal_response(all, &empty).find_header("Access-Control-Expose-Headers"), nullptr);
  auto listed_without_origin = normal_response(listed, nullptr);
  EXPECT_EQ(listed_without_origin.find_header("Access-Control-Allow-Origin"), nullptr);
  EXPECT_EQ(listed_without_origin.find_header("Access-Control-Expose-Headers"), nullptr);
  EXPECT_EQ(*listed_without_origin.find_header("Vary"), "Origin");
}

TEST(cors, listed_origin_is_echoed_with_vary) {
  std::string origin = "http://localhost:3000";
  auto h = normal_response(listed, &origin);
  EXPECT_EQ(*h.find_header("Access-Control-Allow-Origin"), origin);
  EXPECT_EQ(*h.find_header("Vary"), "Origin");
  EXPECT_NE(h.find_header("Access-Control-Expose-Headers"), nullptr);
  std::string upper = "HTTPS://App.Example.com";
  EXPECT_EQ(*normal_response(listed, &upper).find_header("Access-Control-Allow-Origin"), upper);
}

TEST(cors, other_origin_gets_no_allow_origin) {
  std::string origin = "https://evil.example";
  auto h = normal_response(listed, &origin);
  EXPECT_EQ(h.find_header("Access-Control-Allow-Origin"), nullptr);
  EXPECT_EQ(h.find_header("Access-Control-Expose-Headers"), nullptr);
  EXPECT_EQ(*h.find_header("Vary"), "Origin");
  EXPECT_EQ(normal_response({}, &origin).find_header("Access-Control-Allow-Origin"), nullptr);
}

TEST(cors, a_handlers_own_headers_are_kept) {
  std::string origin = "http://localhost:3000";
  response resp;
  resp.set_header("ETag", "\"3\"");
  add_cors_headers(resp, listed, &origin);
  ASSERT_NE(resp.find_header("ETag"), nullptr);
  EXPECT_EQ(*resp.find_header("ETag"), "\"3\"");
}

TEST(cors, preflight_for_allowed_origin) {
  std::string origin = "https://app.example.com";
  auto resp = cors_preflight_response(listed, &origin);
  EXPECT_EQ(resp.status, 204u);
  EXPECT_TRUE(resp.body.empty());
  EXPECT_EQ(*resp.find_header("Access-Control-Allow-Origin"), origin);
  EXPECT_EQ(*resp.find_header("Access-Control-Allow-Methods"), "GET, POST, PUT, DELETE, OPTIONS");
  EXPECT_EQ(
    *resp.find_header("Access-Control-Allow-Headers"),
    "Content-Type, Authorization, X-Request-ID, If-Match, If-None-Match, Idempotency-Key, traceparent, tracestate");
  EXPECT_EQ(*resp.find_header("Access-Control-Max-Age"), "600");
  EXPECT_EQ(*resp.find_header("Vary"), "Origin");
  auto wild = cors_preflight_response(all, &origin);
  EXPECT_EQ(*wild.find_header("Access-Control-Allow-Origin"), "*");
  EXPECT_NE(wild.find_header("Access-Control-Max-Age"), nullptr);
}

TEST(cors, preflight_for_refused_origin) {
  std::string origin = "https://evil.example";
  auto resp = cors_preflight_response(listed, &origin);
  EXPECT_EQ(resp.status, 204u);
  EXPECT_EQ(resp.find_header("Access-Control-Allow-Origin"), nullptr);
  EXPECT_EQ(resp.find_header("Access-Control-Allow-Methods"), nullptr);
}
