// Reads need <resource>:read, everything else <resource>:write.
#include <gtest/gtest.h>

#include "security/scopes.hpp"

namespace svc::security {
namespace {

TEST(scopes, reads_and_writes_of_each_resource) {
  EXPECT_EQ(required_scope("GET", "/api/v1/users"), "users:read");
  EXPECT_EQ(required_scope("HEAD", "/api/v1/users/{id}"), "users:read");
  EXPECT_EQ(required_scope("POST", "/api/v1/users"), "users:write");
  EXPECT_EQ(required_scope("PUT", "/api/v1/users/{id}"), "users:write");
  EXPECT_EQ(required_scope("DELETE", "/api/v1/orders/{id}"), "orders:write");
  EXPECT_EQ(required_scope("GET", "/api/v1/orders"), "orders:read");
  EXPECT_EQ(required_scope("PATCH", "/api/v2/orders/{id}"),
            "orders:write");  // any other method writes
}

TEST(scopes, a_route_without_a_resource_needs_none) {
  EXPECT_EQ(required_scope("GET", ""), "");
  EXPECT_EQ(required_scope("GET", "unmatched"), "");
  EXPECT_EQ(required_scope("GET", "/health"), "");
  EXPECT_EQ(required_scope("GET", "/api/v1"), "");
  EXPECT_EQ(required_scope("GET", "/api/v1/"), "");
  EXPECT_EQ(required_scope("GET", "/api/v1/{id}"), "");
}

TEST(scopes, claim_is_split_at_spaces) {
  auto s = parse_scope_claim("orders:read  users:read users:read users:write");
  EXPECT_EQ(s, (scope_set{"orders:read", "users:read", "users:write"}));
  EXPECT_TRUE(has_scope(s, "users:write"));
  EXPECT_FALSE(has_scope(s, "orders:write"));
  EXPECT_FALSE(has_scope(s, "users"));
  EXPECT_TRUE(parse_scope_claim("").empty());
}

}  // namespace
}  // namespace svc::security
