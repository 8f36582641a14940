// REDIS_URL parsing: what the loader accepts is exactly what the limiter connects to.
#include <gtest/gtest.h>

#include "config/redis_url.hpp"
#include "config/secret_mask.hpp"

namespace svc {
namespace {

TEST(redis_url, host_alone_takes_the_defaults) {
  auto e = parse_redis_url("redis://localhost");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->host, "localhost");
  EXPECT_EQ(e->port, 6379);
  EXPECT_EQ(e->password, "");
  EXPECT_EQ(e->username, "");
  EXPECT_EQ(e->database, 0);
}

TEST(redis_url, every_part) {
  auto e = parse_redis_url("REDIS://app:p%40ss/w@cache.internal:6380/3");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->username, "app");
  EXPECT_EQ(e->password,
            "p@ss/w");  // decoded; an unencoded '/' too (user info ends at the last '@')
  EXPECT_EQ(e->host, "cache.internal");
  EXPECT_EQ(e->port, 6380);
  EXPECT_EQ(e->database, 3);

  auto pw_only = parse_redis_url("redis://:s3cr3t@10.0.0.5:6379/");
  ASSERT_TRUE(pw_only);
  EXPECT_EQ(pw_only->username, "");
  EXPECT_EQ(pw_only->password, "s3cr3t");
  EXPECT_EQ(pw_only->host, "10.0.0.5");
  EXPECT_EQ(pw_only->database, 0);

  auto v6 = parse_redis_url("redis://[::1]:6390");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 6390);
}

TEST(redis_url, malformed_ones_are_refused) {
  for (const char* text : {"",
                           "localhost:6379",
                           "http://cache:6379",
                           "rediss://cache",
                           "redis://",
                           "redis://:6379",
                           "redis://cache:",
                           "redis://cache:0",
                           "redis://cache:65536",
                           "redis://cache:63a9",
                           "redis://cache/x",
                           "redis://cache/-1",
                           "redis://cache/70000",
                           "redis://cache?db=1",
                           "redis://cache#x",
                           "redis://s3cr3t@cache",
                           "redis://:@cache",
                           "redis://:p%4@cache",
                           "redis://:p%zz@cache",
                           "redis://[::1",
                           "redis://[cache]:6379",
                           "redis://ca che",
                           "redis://[::1]6379"})
    EXPECT_FALSE(parse_redis_url(text)) << text;
}

TEST(redis_url, passwords_are_hidden_for_display) {
  EXPECT_EQ(mask_secrets("redis://:s3cr3t@cache:6379"), "redis://:***@cache:6379");
  EXPECT_EQ(mask_secrets("redis://app:s3cr3t@cache:6379/1"), "redis://app:***@cache:6379/1");
  // Not a valid URL, and mask_secrets alone would show the token.
  EXPECT_EQ(hide_redis_user_info("redis://s3cr3t@cache"), "redis://***@cache");
  EXPECT_EQ(hide_redis_user_info("redis://cache:6379"), "redis://cache:6379");
}

}  // namespace
}  // namespace svc
