// The cache of verified tokens: bounded, least recently used out first, an
// entry gone at its expiry.
#include <gtest/gtest.h>

#include "security/token_cache.hpp"

namespace svc::security {
namespace {

using namespace std::chrono_literals;
using clock = std::chrono::system_clock;

verified_token entry(clock::time_point until, std::uint64_t key = 1) {
  return {"alice", std::make_shared<const scope_set>(), until, key};
}

TEST(token_cache, an_entry_lives_until_its_expiry) {
  token_cache cache;
  auto now = clock::now();
  auto d = digest_of("token-a");
  cache.insert(d, entry(now + 10s));
  ASSERT_TRUE(cache.find(d, now));
  EXPECT_EQ(cache.find(d, now)->subject, "alice");
  EXPECT_FALSE(cache.find(d, now + 10s));
  EXPECT_EQ(cache.size(), 0u);  // dropped when found expired
}

TEST(token_cache, digests_differ_per_token) {
  EXPECT_NE(digest_of("a"), digest_of("b"));
  EXPECT_EQ(digest_of("a"), digest_of("a"));
}

TEST(token_cache, size_is_bounded_and_recent_entries_stay) {
  token_cache cache{64};
  auto now = clock::now();
  auto kept = digest_of("kept");
  cache.insert(kept, entry(now + 1h));
  for (int i = 0; i < 10000; ++i) {
    cache.insert(digest_of("token-" + std::to_string(i)), entry(now + 1h));
    if (i % 4 == 0) {
      ASSERT_TRUE(cache.find(kept, now)) << i;  // used often: never the least recent
    }
  }
  EXPECT_LE(cache.size(), 64u);
  EXPECT_TRUE(cache.find(kept, now));
  EXPECT_FALSE(cache.find(digest_of("token-0"), now));
}

TEST(token_cache, erase_forgets) {
  token_cache cache;
  auto d = digest_of("x");
  cache.insert(d, entry(clock::now() + 1h));
  cache.erase(d);
  EXPECT_FALSE(cache.find(d, clock::now()));
}

}  // namespace
}  // namespace svc::security
