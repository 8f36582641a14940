#include "http/router.hpp"

#include <stdexcept>

#include <gtest/gtest.h>

using namespace svc::http;

namespace {

router api_routes() {
  router r;
  r.add("GET", "/api/v1/users", 1);
  r.add("POST", "/api/v1/users", 2);
  r.add("GET", "/api/v1/users/{id}", 3);
  r.add("PUT", "/api/v1/users/{id}", 4);
  r.add("DELETE", "/api/v1/users/{id}", 5);
  r.add("GET", "/api/v1/users/me", 6);
  r.add("GET", "/api/v1/users/{id}/orders/{order_id}", 7);
  r.add("GET", "/", 8);
  return r;
}

}  // namespace

TEST(router, matches_literal_template) {
  auto m = api_routes().match("POST", "/api/v1/users");
  EXPECT_EQ(m.outcome, route_outcome::found);
  EXPECT_EQ(m.route, "/api/v1/users");
  EXPECT_EQ(m.target, 2);
  EXPECT_TRUE(m.params.empty());
}

TEST(router, extracts_parameters_in_order) {
  auto m = api_routes().match("GET", "/api/v1/users/42/orders/7");
  ASSERT_EQ(m.outcome, route_outcome::found);
  EXPECT_EQ(m.route, "/api/v1/users/{id}/orders/{order_id}");
  EXPECT_EQ(m.target, 7);
  ASSERT_EQ(m.params.size(), 2u);
  EXPECT_EQ(m.params[0], (std::pair<std::string, std::string>{"id", "42"}));
  EXPECT_EQ(m.params[1], (std::pair<std::string, std::string>{"order_id", "7"}));
}

TEST(router, parameter_keeps_raw_segment) {
  auto m = api_routes().match("GET", "/api/v1/users/abc def");
  ASSERT_EQ(m.outcome, route_outcome::found);
  EXPECT_EQ(m.route, "/api/v1/users/{id}");
  EXPECT_EQ(m.params.at(0).second, "abc def");
}

TEST(router, literal_beats_parameter) {
  auto r = api_routes();
  auto m = r.match("GET", "/api/v1/users/me");
  EXPECT_EQ(m.target, 6);
  EXPECT_EQ(m.route, "/api/v1/users/me");
  // The literal has no PUT, but the parameter template does.
  auto put = r.match("PUT", "/api/v1/users/me");
  EXPECT_EQ(put.outcome, route_outcome::found);
  EXPECT_EQ(put.target, 4);
  EXPECT_EQ(put.params.at(0).second, "me");
}

TEST(router, unknown_path_is_not_found) {
  auto r = api_routes();
  EXPECT_EQ(r.match("GET", "/api/v1/orders").outcome, route_outcome::not_found);
  EXPECT_EQ(r.match("GET", "/api/v1/users/1/2").outcome, route_outcome::not_found);
  EXPECT_EQ(r.match("GET", "/api/v1//users").outcome, route_outcome::not_found);
  EXPECT_EQ(r.match("GET", "/api/v1/users//").outcome, route_outcome::not_found);
  auto m = r.match("GET", "/nope");
  EXPECT_EQ(m.target, -1);
  EXPECT_TRUE(m.allow.empty());
}

TEST(router, empty_segment_does_not_fill_a_parameter) {
  EXPECT_EQ(api_routes().match("GET", "/api/v1/users//orders/1").outcome, route_outcome::not_found);
}

TEST(router, wrong_method_gives_sorted_allow) {
  auto r = api_routes();
  auto m = r.match("PATCH", "/api/v1/users/9");
  EXPECT_EQ(m.outcome, route_outcome::method_not_allowed);
  EXPECT_EQ(m.allow, "DELETE, GET, HEAD, PUT");
  EXPECT_EQ(m.route, "/api/v1/users/{id}");
  EXPECT_EQ(m.target, -1);
  auto c = r.match("DELETE", "/api/v1/users");
  EXPECT_EQ(c.outcome, route_outcome::method_not_allowed);
  EXPECT_EQ(c.allow, "GET, HEAD, POST");
  // Every template matching the path contributes its methods.
  auto me = r.match("POST", "/api/v1/users/me");
  EXPECT_EQ(me.allow, "DELETE, GET, HEAD, PUT");
}

// RFC 9110 section 9.3.2: HEAD wherever GET, and nowhere else.
TEST(router, head_matches_the_get_routes) {
  auto r = api_routes();
  auto one = r.match("HEAD", "/api/v1/users/9");
  EXPECT_EQ(one.outcome, route_outcome::found);
  EXPECT_EQ(one.route, "/api/v1/users/{id}");
  EXPECT_EQ(one.target, r.match("GET", "/api/v1/users/9").target);
  EXPECT_EQ(r.match("HEAD", "/api/v1/users").outcome, route_outcome::found);
  EXPECT_EQ(r.match("HEAD", "/nowhere").outcome, route_outcome::not_found);
}

TEST(router, methods_are_case_sensitive) {
  EXPECT_EQ(api_routes().match("get", "/api/v1/users").outcome, route_outcome::method_not_allowed);
}

TEST(router, trailing_slash_is_ignored) {
  auto r = api_routes();
  auto m = r.match("GET", "/api/v1/users/");
  EXPECT_EQ(m.outcome, route_outcome::found);
  EXPECT_EQ(m.route, "/api/v1/users");
  EXPECT_EQ(r.match("GET", "/api/v1/users/5/").params.at(0).second, "5");
  EXPECT_EQ(r.match("GET", "/").target, 8);
  EXPECT_EQ(r.match("GET", "").target, 8);
}

TEST(router, template_with_trailing_slash_is_canonicalised) {
  router r;
  r.add("GET", "/health/", 1);
  auto m = r.match("GET", "/health");
  EXPECT_EQ(m.outcome, route_outcome::found);
  EXPECT_EQ(m.route, "/health");
}

TEST(router, rejects_wiring_mistakes) {
  router r;
  r.add("GET", "/a/{id}", 1);
  EXPECT_THROW(r.add("GET", "/a/{id}", 2), std::invalid_argument);
  EXPECT_THROW(r.add("PUT", "/a/{other}", 2), std::invalid_argument);
  EXPECT_THROW(r.add("GET", "a", 2), std::invalid_argument);
  EXPECT_THROW(r.add("GET", "/a/{}", 2), std::invalid_argument);
  EXPECT_THROW(r.add("GET", "/a/x{id}", 2), std::invalid_argument);
  EXPECT_THROW(r.add("GET", "/a//b", 2), std::invalid_argument);
  EXPECT_THROW(r.add("", "/b", 2), std::invalid_argument);
  EXPECT_NO_THROW(r.add("PUT", "/a/{id}", 3));
}

// Segments as parse_target gives them, decoded one by one: a '/' inside a segment
// is data, never a separator.
TEST(router, decoded_segments_are_matched_whole) {
  using segments = std::vector<std::string>;
  auto r = api_routes();
  EXPECT_EQ(r.match("GET", segments{"api", "v1", "users/1"}).outcome, route_outcome::not_found);
  auto m = r.match("GET", segments{"api", "v1", "users", "1/2"});
  ASSERT_EQ(m.outcome, route_outcome::found);
  EXPECT_EQ(m.route, "/api/v1/users/{id}");
  EXPECT_EQ(m.params.at(0).second, "1/2");
  EXPECT_EQ(r.match("GET", segments{"api", "v1", "users", "7"}).params.at(0).second, "7");
  EXPECT_EQ(r.match("GET", segments{"api", "v1", "users", ""}).route, "/api/v1/users")
    << "trailing slash";
  EXPECT_EQ(r.match("GET", segments{"api", "v1", "users", "", ""}).outcome,
            route_outcome::not_found);
  EXPECT_EQ(r.match("GET", segments{}).target, 8);
}
