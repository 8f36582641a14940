#include <gtest/gtest.h>

#include "domain/versioning.hpp"

using namespace svc;

TEST(Versioning, EtagIsAQuotedVersion) {
  EXPECT_EQ(etag_for(7), "\"7\"");
}

TEST(Versioning, IfMatchForms) {
  EXPECT_FALSE(parse_if_match(nullptr).required);
  std::string any = "*";
  EXPECT_FALSE(parse_if_match(&any).required);
  std::string one = "\"3\"";
  EXPECT_EQ(parse_if_match(&one).versions_csv, "3");
  std::string list = "\"3\", \"5\",\"9\"";
  auto p = parse_if_match(&list);
  EXPECT_TRUE(p.required);
  EXPECT_EQ(p.versions_csv, "3,5,9");
  std::string junk = "\"abc\"";
  p = parse_if_match(&junk);
  EXPECT_TRUE(p.required);  // a tag that matches no version never matches
  EXPECT_EQ(p.versions_csv, "");
}

// RFC 9110 section 13.1.1: If-Match uses the strong comparison, so a weak tag
// never matches, even one naming the current version.
TEST(Versioning, IfMatchComparesStrongly) {
  std::string weak = "W/\"3\"";
  auto p = parse_if_match(&weak);
  EXPECT_TRUE(p.required);
  EXPECT_EQ(p.versions_csv, "");
  std::string mixed = "W/\"3\", \"4\", 5";
  EXPECT_EQ(parse_if_match(&mixed).versions_csv, "4") << "5 is no entity-tag";
}

// Several lines arrive joined by ", " (http::request::list_header); `*` anywhere
// means any current version.
TEST(Versioning, IfMatchListsAndStar) {
  std::string lines = "\"99\", \"7\"";
  EXPECT_EQ(parse_if_match(&lines).versions_csv, "99,7");
  std::string star_in_list = "\"99\", *";
  EXPECT_FALSE(parse_if_match(&star_in_list).required);
  std::string empty_items = " , \"2\" ,";
  EXPECT_EQ(parse_if_match(&empty_items).versions_csv, "2");
}

// RFC 9110 section 13.1.2: If-None-Match compares weakly.
TEST(Versioning, IfNoneMatchComparesWeakly) {
  EXPECT_TRUE(if_none_match_hits("\"3\"", "\"3\""));
  EXPECT_TRUE(if_none_match_hits("W/\"3\"", "\"3\""));
  EXPECT_TRUE(if_none_match_hits("\"1\", \"3\"", "\"3\""));
  EXPECT_TRUE(if_none_match_hits("*", "\"3\""));
  EXPECT_FALSE(if_none_match_hits("\"4\"", "\"3\""));
  EXPECT_FALSE(if_none_match_hits("3", "\"3\"")) << "no entity-tag";
  EXPECT_FALSE(if_none_match_hits("", "\"3\""));
}
