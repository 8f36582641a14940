#include <gtest/gtest.h>

#include "resilience/circuit_breaker.hpp"

using namespace svc;
using namespace std::chrono_literals;

namespace {

// A fake clock: time only moves when the test says so.
struct fake_clock {
  circuit_breaker::time_point now{};
  void advance(std::chrono::milliseconds d) { now += d; }
};

breaker_settings settings(int threshold = 3, int half_open_max = 1) {
  return {threshold, 1000ms, half_open_max};
}

void fail(circuit_breaker& b, fake_clock& c) {
  auto t = b.try_acquire(c.now);
  ASSERT_TRUE(t);
  b.on_failure(*t, c.now);
}

}  // namespace

TEST(CircuitBreaker, OpensAfterConsecutiveFailuresOnly) {
  fake_clock clock;
  circuit_breaker b{settings(3)};
  fail(b, clock);
  fail(b, clock);
  auto ok = b.try_acquire(clock.now);
  b.on_success(*ok);  // resets the count
  fail(b, clock);
  fail(b, clock);
  EXPECT_EQ(b.state(), breaker_state::closed);
  EXPECT_FALSE(b.take_transition());
  fail(b, clock);
  EXPECT_EQ(b.state(), breaker_state::open);
  auto t = b.take_transition();
  ASSERT_TRUE(t);
  EXPECT_EQ(t->from, breaker_state::closed);
  EXPECT_EQ(t->to, breaker_state::open);
  EXPECT_FALSE(b.take_transition());
}

TEST(CircuitBreaker, OpenRejectsUntilTheTimeoutThenLetsProbesThrough) {
  fake_clock clock;
  circuit_breaker b{settings(1, 2)};
  fail(b, clock);
  EXPECT_FALSE(b.try_acquire(clock.now));
  clock.advance(999ms);
  EXPECT_FALSE(b.try_acquire(clock.now));
  clock.advance(1ms);
  auto p1 = b.try_acquire(clock.now);
  ASSERT_TRUE(p1);
  EXPECT_TRUE(p1->probe);
  EXPECT_EQ(b.state(), breaker_state::half_open);
  EXPECT_TRUE(b.try_acquire(clock.now));   // second probe allowed (max 2)
  EXPECT_FALSE(b.try_acquire(clock.now));  // third is not
}

TEST(CircuitBreaker, HalfOpenClosesOnSuccess) {
  fake_clock clock;
  circuit_breaker b{settings(1)};
  fail(b, clock);
  clock.advance(1000ms);
  auto probe = b.try_acquire(clock.now);
  b.take_transition();
  b.on_success(*probe);
  EXPECT_EQ(b.state(), breaker_state::closed);
  auto t = b.take_transition();
  ASSERT_TRUE(t);
  EXPECT_EQ(t->from, breaker_state::half_open);
  EXPECT_EQ(t->to, breaker_state::closed);
  EXPECT_TRUE(b.try_acquire(clock.now));
}

TEST(CircuitBreaker, HalfOpenReopensOnFailureWithAFreshTimeout) {
  fake_clock clock;
  circuit_breaker b{settings(1)};
  fail(b, clock);
  clock.advance(1500ms);
  auto probe = b.try_acquire(clock.now);
  b.on_failure(*probe, clock.now);
  EXPECT_EQ(b.state(), breaker_state::open);
  clock.advance(999ms);
  EXPECT_FALSE(b.try_acquire(clock.now));
  clock.advance(1ms);
  EXPECT_TRUE(b.try_acquire(clock.now));
}

TEST(CircuitBreaker, LateResultsFromAnEarlierStateAreIgnored) {
  fake_clock clock;
  circuit_breaker b{settings(2)};
  auto slow = b.try_acquire(clock.now);  // admitted while closed
  fail(b, clock);
  fail(b, clock);
  ASSERT_EQ(b.state(), breaker_state::open);
  clock.advance(1000ms);
  auto probe = b.try_acquire(clock.now);
  b.on_success(*probe);
  ASSERT_EQ(b.state(), breaker_state::closed);
  b.on_failure(*slow, clock.now);  // stale: must not count against the new circuit
  fail(b, clock);
  EXPECT_EQ(b.state(), breaker_state::closed);
}
