#include "http/target.hpp"

#include <gtest/gtest.h>

using namespace svc::http;

TEST(target, splits_path_and_query_in_order) {
  auto t = parse_target("/api/v1/users?page=2&page_size=10&page=3");
  ASSERT_TRUE(t) << t.error();
  EXPECT_EQ(t->path, "/api/v1/users");
  param_list expected{{"page", "2"}, {"page_size", "10"}, {"page", "3"}};
  EXPECT_EQ(t->query, expected);
}

TEST(target, decodes_percent_escapes) {
  auto t = parse_target("/api/v1/users/caf%C3%A9?search=a%26b%3Dc&na%20me=x%2By");
  ASSERT_TRUE(t) << t.error();
  EXPECT_EQ(t->path, "/api/v1/users/caf\xC3\xA9");
  param_list expected{{"search", "a&b=c"}, {"na me", "x+y"}};
  EXPECT_EQ(t->query, expected);
}

TEST(target, plus_is_space_in_query_only) {
  auto t = parse_target("/a+b?q=hello+world");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->path, "/a+b");
  EXPECT_EQ(t->query.at(0).second, "hello world");
}

TEST(target, keys_without_values_and_empty_pieces) {
  auto t = parse_target("/x?flag&&empty=&=v");
  ASSERT_TRUE(t);
  param_list expected{{"flag", ""}, {"empty", ""}, {"", "v"}};
  EXPECT_EQ(t->query, expected);
  auto bare = parse_target("/x?");
  ASSERT_TRUE(bare);
  EXPECT_TRUE(bare->query.empty());
}

TEST(target, accepts_absolute_form) {
  auto t = parse_target("http://example.com:8081/api/v1/users?page=1");
  ASSERT_TRUE(t) << t.error();
  EXPECT_EQ(t->path, "/api/v1/users");
  EXPECT_EQ(t->query.at(0).first, "page");
  auto root = parse_target("http://example.com");
  ASSERT_TRUE(root);
  EXPECT_EQ(root->path, "/");
}

// Found by fuzz_request_target: Boost.URL reads "host:8081:" as port 8081 and a
// path ":/api/...", which is no path at all.
TEST(target, absolute_form_needs_a_host_and_a_rooted_path) {
  for (const char* bad : {"http://localhost:8081:/api/v1/users", "http:api/v1/users",
                          "http:/api/v1/users/1", "http:///api/v1/users", "https://h:80:/x"}) {
    auto t = parse_target(bad);
    EXPECT_FALSE(t) << "accepted: " << bad << " with path " << t->path;
  }
  EXPECT_TRUE(parse_target("http://h:/x"));  // an empty port is allowed (RFC 3986)
}

TEST(target, rejects_invalid_targets) {
  for (const char* bad : {"", "*", "/a%zz", "/a%", "/a b", "/a?b=%G1", "/a#frag", "users",
                          "ftp://host/x", "/a\x01"}) {
    auto t = parse_target(bad);
    EXPECT_FALSE(t) << "accepted: " << bad;
    EXPECT_FALSE(t.error().empty());
  }
}

// "/api/v1/users%2f1" used to decode to "/api/v1/users/1" before routing, and
// answered user 1: an encoded slash must neither split nor join segments.
TEST(target, path_is_split_before_it_is_decoded) {
  auto joined = parse_target("/api/v1/users%2f1");
  ASSERT_TRUE(joined);
  EXPECT_EQ(joined->segments, (std::vector<std::string>{"api", "v1", "users/1"}));
  EXPECT_EQ(joined->path, "/api/v1/users%2F1");
  auto inner = parse_target("/api/v1/users/1%2F2");
  ASSERT_TRUE(inner);
  EXPECT_EQ(inner->segments, (std::vector<std::string>{"api", "v1", "users", "1/2"}));
  EXPECT_EQ(inner->path, "/api/v1/users/1%2F2");
  auto other = parse_target("/api/v1/%75sers/caf%C3%A9%25");
  ASSERT_TRUE(other);
  EXPECT_EQ(other->segments, (std::vector<std::string>{"api", "v1", "users", "caf\xC3\xA9%"}));
  EXPECT_EQ(other->path, "/api/v1/users/caf\xC3\xA9%25")
    << "a '%' stays escaped, so '/' in path only separates";
}

TEST(target, segments_keep_empty_and_trailing_pieces) {
  EXPECT_TRUE(parse_target("/")->segments.empty());
  EXPECT_TRUE(parse_target("http://example.com")->segments.empty());
  EXPECT_EQ(parse_target("/a/")->segments, (std::vector<std::string>{"a", ""}));
  EXPECT_EQ(parse_target("/a//b")->segments, (std::vector<std::string>{"a", "", "b"}));
  EXPECT_EQ(parse_target("/a//b")->path, "/a//b");
  EXPECT_EQ(parse_target("/health/live?x=1")->path, "/health/live");
}

// A target without escapes takes a shorter way (its segments and path are its own
// bytes): it must come out as the same target written with escapes does.
TEST(target, unescaped_and_escaped_spellings_parse_alike) {
  const std::pair<const char*, const char*> spellings[] = {
    {"/", "/"},
    {"/a//", "/%61//"},
    {"/a/", "/%61/"},
    {"/a//b", "/%61//%62"},
    {"/api/v1/users/42?x=1", "/api/v1/users/%342?x=1"},
    {"http://example.com/users", "http://example.com/%75sers"},
  };
  for (const auto& [plain, escaped] : spellings) {
    SCOPED_TRACE(plain);
    const auto a = parse_target(plain);
    const auto b = parse_target(escaped);
    ASSERT_TRUE(a && b);
    EXPECT_EQ(a->segments, b->segments);
    EXPECT_EQ(a->path, b->path);
    EXPECT_EQ(a->query, b->query);
  }
}
