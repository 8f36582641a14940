// svc::ascii_iequals (domain/ascii_text.hpp): ASCII case folding only, and no
// byte read beyond either argument (Boost 1.81's beast::iequals read one past the
// end when the two differed in case; fuzz_bearer_token found it on "bearer").
#include "domain/ascii_text.hpp"

#include <cstring>
#include <memory>
#include <string_view>

#include <gtest/gtest.h>

using svc::ascii_iequals;

TEST(AsciiText, EqualIgnoringAsciiCaseOnly) {
  EXPECT_TRUE(ascii_iequals("Content-Length", "content-length"));
  EXPECT_TRUE(ascii_iequals("BEARER", "bearer"));
  EXPECT_TRUE(ascii_iequals("", ""));
  EXPECT_FALSE(ascii_iequals("Bearer", "Bearer "));
  EXPECT_FALSE(ascii_iequals("chunked", "chunkee"));
  // '@' and '`' sit next to the letters: a sloppy fold would equate them.
  EXPECT_FALSE(ascii_iequals("@", "`"));
  EXPECT_FALSE(ascii_iequals("[", "{"));
  // Bytes above ASCII are compared as they are.
  EXPECT_FALSE(ascii_iequals("\xc3\x89", "\xc3\xa9"));
}

// Views that end exactly at the end of their heap buffers: under ASan
// (make test-asan) a read past either end is a failure.
TEST(AsciiText, ReadsNothingBeyondItsArguments) {
  auto left = std::make_unique<char[]>(6);
  auto right = std::make_unique<char[]>(6);
  std::memcpy(left.get(), "bearer", 6);
  std::memcpy(right.get(), "Bearer", 6);
  EXPECT_TRUE(ascii_iequals({left.get(), 6}, {right.get(), 6}));
  std::memcpy(right.get(), "Beares", 6);
  EXPECT_FALSE(ascii_iequals({left.get(), 6}, {right.get(), 6}));
}
