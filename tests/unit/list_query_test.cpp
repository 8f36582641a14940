#include <gtest/gtest.h>

#include "domain/list_query.hpp"

using namespace svc;

TEST(ListQuery, DefaultsAndValidValues) {
  field_errors errors;
  auto page = parse_page({}, errors);
  EXPECT_EQ(page.page, 1);
  EXPECT_EQ(page.page_size, 10);
  page = parse_page({{"page", "3"}, {"page_size", "100"}}, errors);
  EXPECT_TRUE(errors.empty());
  EXPECT_EQ(page.offset(), 200);
}

TEST(ListQuery, OutOfRangeOrNonIntegerIsAnErrorNotAClamp) {
  for (auto [name, value] :
       std::vector<std::pair<std::string, std::string>>{{"page", "0"},
                                                        {"page", "-1"},
                                                        {"page", "x"},
                                                        {"page", "1.5"},
                                                        {"page", ""},
                                                        {"page_size", "0"},
                                                        {"page_size", "101"},
                                                        {"page_size", "10abc"},
                                                        {"page", "99999999999999999999"}}) {
    field_errors errors;
    parse_page({{name, value}}, errors);
    ASSERT_EQ(errors.size(), 1u) << name << "=" << value;
    EXPECT_EQ(errors[0].field, name);
  }
}

TEST(ListQuery, StatusMustBeKnown) {
  field_errors errors;
  EXPECT_EQ(parse_enum_param({{"status", "active"}}, "status", {"active", "inactive"}, errors),
            "active");
  EXPECT_FALSE(parse_enum_param({{"status", "ACTIVE"}}, "status", {"active", "inactive"}, errors));
  EXPECT_EQ(errors.size(), 1u);
}

TEST(ListQuery, SearchIsTrimmedAndEmptyMeansNone) {
  field_errors errors;
  EXPECT_FALSE(parse_search({{"search", "   "}}, errors));
  EXPECT_EQ(parse_search({{"search", " ada "}}, errors), "ada");
  EXPECT_TRUE(errors.empty());
}

// Text from a URL never went through the JSON parser: invalid UTF-8 reached
// PostgreSQL, which refused it, and the client got a 500.
TEST(ListQuery, SearchMustBeValidUtf8) {
  for (std::string bad : {"\xff", "caf\xc3", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80"}) {
    field_errors errors;
    EXPECT_FALSE(parse_search({{"search", bad}}, errors));
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0].field, "search");
  }
  field_errors errors;
  EXPECT_EQ(parse_search({{"search", "caf\xc3\xa9 \xf0\x9f\x98\x80"}}, errors),
            "caf\xc3\xa9 \xf0\x9f\x98\x80");
  EXPECT_TRUE(errors.empty());
}

TEST(ListQuery, LikePatternEscapesMetacharacters) {
  EXPECT_EQ(like_pattern("50%_a\\b"), "%50\\%\\_a\\\\b%");
}

TEST(ListQuery, PathIds) {
  EXPECT_EQ(parse_path_id("42"), 42);
  EXPECT_FALSE(parse_path_id("0"));
  EXPECT_FALSE(parse_path_id("-3"));
  EXPECT_FALSE(parse_path_id("+3"));
  EXPECT_FALSE(parse_path_id("abc"));
  EXPECT_FALSE(parse_path_id("12abc"));
  EXPECT_FALSE(parse_path_id("9223372036854775808"));
  EXPECT_EQ(parse_path_id("9223372036854775807"), INT64_MAX);
}

TEST(ListQuery, PathIdsHaveNoLeadingZeros) {
  for (const char* padded : {"01", "0001", "00", "09223372036854775807"})
    EXPECT_FALSE(parse_path_id(padded)) << padded;
  EXPECT_EQ(parse_path_id("10"), 10);
  EXPECT_EQ(parse_path_id("1"), 1);
}

// The last of several values used to win silently: "page=1&page=2" was page 2.
TEST(ListQuery, ARepeatedParameterIsAnError) {
  field_errors errors;
  auto page = parse_page({{"page", "1"}, {"page_size", "5"}, {"page", "2"}, {"page_size", "5"}},
                         errors);
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].field, "page");
  EXPECT_EQ(errors[0].message, "must be given once");
  EXPECT_EQ(errors[1].field, "page_size");
  EXPECT_EQ(page.page, 1) << "the default, not one of the values";

  errors.clear();
  EXPECT_FALSE(parse_search({{"search", "a"}, {"search", "a"}}, errors));
  EXPECT_FALSE(
    parse_enum_param({{"status", "active"}, {"status", "active"}}, "status", {"active"}, errors));
  EXPECT_FALSE(parse_id_param({{"user_id", "1"}, {"user_id", "2"}}, "user_id", errors));
  ASSERT_EQ(errors.size(), 3u);
  EXPECT_EQ(errors[0].field, "search");
  EXPECT_EQ(errors[1].field, "status");
  EXPECT_EQ(errors[2].field, "user_id");
  for (const auto& e : errors)
    EXPECT_EQ(e.message, "must be given once");

  // Other names may repeat: only the list's own parameters are read.
  errors.clear();
  EXPECT_EQ(parse_page({{"x", "1"}, {"x", "2"}, {"page", "3"}}, errors).page, 3);
  EXPECT_TRUE(errors.empty());
}
