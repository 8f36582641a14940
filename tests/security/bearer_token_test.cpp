// The Authorization header: only "Bearer <token68>" yields a token.
#include <gtest/gtest.h>

#include "security/bearer_token.hpp"

namespace svc::security {
namespace {

using status = bearer_credentials::status;

bearer_credentials parse(std::string_view value) {
  return parse_bearer(&value);
}

TEST(bearer_token, no_header_is_absent) {
  EXPECT_EQ(parse_bearer(nullptr).result, status::absent);
}

TEST(bearer_token, scheme_is_case_insensitive_and_the_token_is_kept_whole) {
  for (std::string_view value : {"Bearer abc.def.ghi", "bearer abc.def.ghi", "BEARER abc.def.ghi",
                                 "Bearer   abc.def.ghi", "  Bearer abc.def.ghi  "}) {
    auto c = parse(value);
    EXPECT_EQ(c.result, status::ok) << value;
    EXPECT_EQ(c.token, "abc.def.ghi") << value;
  }
  EXPECT_EQ(parse("Bearer a-b_c~d+e/f==").token, "a-b_c~d+e/f==");
}

TEST(bearer_token, another_scheme_carries_no_bearer_token) {
  for (std::string_view value : {"Basic dXNlcjpwdw==", "Bearerabc", "Token abc", "", "   "})
    EXPECT_EQ(parse(value).result, status::absent) << value;
}

TEST(bearer_token, bearer_without_a_valid_token68_is_malformed) {
  for (std::string_view value : {"Bearer", "Bearer ", "Bearer a b", "Bearer a,b", "Bearer =abc",
                                 "Bearer a=b", "Bearer a\tb", "Bearer \"abc\"", "Bearer abc\x01"})
    EXPECT_EQ(parse(value).result, status::malformed) << value;
}

TEST(bearer_token, token68_charset) {
  EXPECT_TRUE(is_token68("eyJ.eyJ.sig"));
  EXPECT_TRUE(is_token68("abc=="));
  EXPECT_FALSE(is_token68(""));
  EXPECT_FALSE(is_token68("=="));
  EXPECT_FALSE(is_token68("a=b"));
  EXPECT_FALSE(is_token68("a b"));
  EXPECT_FALSE(is_token68("a\nb"));
}

// Every byte, against RFC 9110's token68 characters: ALPHA DIGIT - . _ ~ + /
// (bytes over 0x7F included: a char is signed here).
TEST(bearer_token, token68_characters_byte_by_byte) {
  const std::string_view allowed =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/";
  for (int byte = 0; byte < 256; ++byte) {
    const std::string text{'a', static_cast<char>(byte), 'a'};
    const bool expected = allowed.find(static_cast<char>(byte)) != std::string_view::npos;
    EXPECT_EQ(is_token68(text), expected) << "byte " << byte;
  }
}

}  // namespace
}  // namespace svc::security
