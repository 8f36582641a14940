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
  std::string list = "\"3\", W/\"5\", 9";
  auto p = parse_if_match(&list);
  EXPECT_TRUE(p.required);
  EXPECT_EQ(p.versions_csv, "3,5,9");
  std::string junk = "\"abc\"";
  p = parse_if_match(&junk);
  EXPECT_TRUE(p.required);  // a tag that matches no version never matches
  EXPECT_EQ(p.versions_csv, "");
}
