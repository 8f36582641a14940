#include "http/cors.hpp"

#include <gtest/gtest.h>

using namespace svc::http;

namespace {

const std::string* find(const std::vector<header>& headers, std::string_view name) {
  for (auto& h : headers)
    if (h.name == name)
      return &h.value;
  return nullptr;
}

const std::vector<std::string> all{"*"};
const std::vector<std::string> listed{"https://app.example.com", "http://localhost:3000"};

}  // namespace

TEST(cors, wildcard_allows_everyone_without_vary) {
  std::string origin = "https://evil.example";
  auto h = cors_headers(all, &origin);
  ASSERT_NE(find(h, "Access-Control-Allow-Origin"), nullptr);
  EXPECT_EQ(*find(h, "Access-Control-Allow-Origin"), "*");
  EXPECT_EQ(find(h, "Vary"), nullptr);
  EXPECT_EQ(
    *find(h, "Access-Control-Expose-Headers"),
    "X-Request-ID, ETag, Location, Link, Idempotent-Replayed, X-RateLimit-Limit, X-RateLimit-Remaining, Retry-After");
  EXPECT_NE(find(cors_headers(all, nullptr), "Access-Control-Allow-Origin"), nullptr);
}

TEST(cors, listed_origin_is_echoed_with_vary) {
  std::string origin = "http://localhost:3000";
  auto h = cors_headers(listed, &origin);
  EXPECT_EQ(*find(h, "Access-Control-Allow-Origin"), origin);
  EXPECT_EQ(*find(h, "Vary"), "Origin");
  EXPECT_NE(find(h, "Access-Control-Expose-Headers"), nullptr);
  std::string upper = "HTTPS://App.Example.com";
  EXPECT_EQ(*find(cors_headers(listed, &upper), "Access-Control-Allow-Origin"), upper);
}

TEST(cors, other_origin_gets_no_allow_origin) {
  std::string origin = "https://evil.example";
  auto h = cors_headers(listed, &origin);
  EXPECT_EQ(find(h, "Access-Control-Allow-Origin"), nullptr);
  EXPECT_EQ(find(h, "Access-Control-Expose-Headers"), nullptr);
  EXPECT_EQ(*find(h, "Vary"), "Origin");
  EXPECT_EQ(find(cors_headers(listed, nullptr), "Access-Control-Allow-Origin"), nullptr);
  EXPECT_EQ(find(cors_headers({}, &origin), "Access-Control-Allow-Origin"), nullptr);
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
