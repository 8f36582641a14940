#include <gtest/gtest.h>

#include "resilience/token_bucket.hpp"

using namespace svc;
using namespace std::chrono_literals;

namespace {
const token_bucket::time_point t0{};
}

TEST(TokenBucket, BurstThenRefusedWithRetryAfter) {
  rate_limit_settings s{10, 5};
  token_bucket b{s, t0};
  for (int i = 4; i >= 0; --i) {
    auto d = b.take(s, t0);
    EXPECT_TRUE(d.allowed);
    EXPECT_EQ(d.remaining, i);
  }
  auto refused = b.take(s, t0);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.remaining, 0);
  EXPECT_EQ(refused.retry_after, 1s);
}

TEST(TokenBucket, RefillsAtTheRateUpToTheBurst) {
  rate_limit_settings s{10, 5};
  token_bucket b{s, t0};
  for (int i = 0; i < 5; ++i)
    b.take(s, t0);
  EXPECT_FALSE(b.take(s, t0 + 50ms).allowed);  // half a token
  EXPECT_TRUE(b.take(s, t0 + 100ms).allowed);
  EXPECT_FALSE(b.full(s, t0 + 100ms));
  EXPECT_TRUE(b.full(s, t0 + 600ms));
  EXPECT_EQ(b.take(s, t0 + 10s).remaining, 4);  // capped at the burst
}

TEST(TokenBucket, OneClientGetsRateTimesTimePlusBurst) {
  rate_limit_settings s{100, 20};
  token_bucket b{s, t0};
  int allowed = 0;
  // 10 seconds of a client hammering every millisecond.
  for (int ms = 0; ms <= 10000; ++ms)
    for (int k = 0; k < 3; ++k)
      allowed += b.take(s, t0 + std::chrono::milliseconds{ms}).allowed;
  EXPECT_NEAR(allowed, 100 * 10 + 20, 2);
}

TEST(TokenBucket, SlowRatesGiveLongerRetryAfter) {
  rate_limit_settings s{0.2, 1};
  token_bucket b{s, t0};
  EXPECT_TRUE(b.take(s, t0).allowed);
  EXPECT_EQ(b.take(s, t0).retry_after, 5s);
}
