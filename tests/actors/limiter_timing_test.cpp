// The limiter actor's timing on the deterministic scheduler (manual_time.hpp):
// its buckets refill with the actors' clock, and its sweep, every 10 s, forgets
// exactly the buckets that have refilled (local buckets; the shared ones are
// tests/redis/).
#include <string>

#include "actors/limiter_actor.hpp"
#include "manual_time.hpp"

using namespace svc;
using namespace std::chrono_literals;

namespace {

class LimiterTiming : public svc_test::ManualTime {
protected:
  limiter_actor spawn(double rate, double burst, std::size_t max_clients = 100000) {
    limiter_config cfg;
    cfg.settings = {rate, burst};
    cfg.max_clients = max_clients;
    return keep(spawn_limiter(sys_, std::move(cfg)));
  }

  rate_decision check(const limiter_actor& l, const std::string& client) {
    return ask_now<rate_decision>(l, rate_check_atom::value, client);
  }

  // Takes every token `client` has left; how many.
  int drain(const limiter_actor& l, const std::string& client) {
    int taken = 0;
    while (check(l, client).allowed && taken < 1000)
      ++taken;
    return taken;
  }

  std::size_t clients(const limiter_actor& l) {
    return ask_now<std::size_t>(l, rate_clients_atom::value);
  }
};

}  // namespace

TEST_F(LimiterTiming, ARefusedClientGetsATokenBackAfterOneOverTheRate) {
  auto l = spawn(2, 3);  // a token every 500 ms, three at most (times exact in binary)
  EXPECT_EQ(drain(l, "10.0.0.1"), 3);
  auto refused = check(l, "10.0.0.1");
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after, 1s);  // whole seconds, rounded up
  advance(250ms);                      // half a token
  EXPECT_FALSE(check(l, "10.0.0.1").allowed);
  advance(250ms);  // one token
  EXPECT_TRUE(check(l, "10.0.0.1").allowed);
  EXPECT_FALSE(check(l, "10.0.0.1").allowed);
  // Another client's bucket is its own.
  EXPECT_TRUE(check(l, "10.0.0.2").allowed);
  // Idle for long, a bucket holds no more than its burst.
  advance(1h);
  EXPECT_EQ(drain(l, "10.0.0.1"), 3);
}

TEST_F(LimiterTiming, TheSweepForgetsRefilledBucketsAndKeepsTheOthers) {
  auto l = spawn(1, 5);         // empty to full in 5 s
  EXPECT_EQ(drain(l, "a"), 5);  // at 0 s
  advance(8s);
  EXPECT_EQ(drain(l, "b"), 5);  // at 8 s: full again at 13 s
  EXPECT_EQ(clients(l), 2u);
  advance(1999ms);  // 9.999 s: no sweep yet, although "a" is full
  EXPECT_EQ(clients(l), 2u);
  advance(1ms);  // the sweep at 10 s: "a" is full, "b" is not
  EXPECT_EQ(clients(l), 1u);
  // What "b" had left is kept, not reset: 2 s refilled two tokens.
  EXPECT_EQ(drain(l, "b"), 2);
  // The sweep comes again every 10 s: at 20 s "b" is full (emptied at 10 s).
  advance(9999ms);
  EXPECT_EQ(clients(l), 1u);
  advance(1ms);
  EXPECT_EQ(clients(l), 0u);
}

TEST_F(LimiterTiming, AtMaxClientsARefilledBucketMakesRoomBeforeTheOldest) {
  auto l = spawn(1, 2, 2);      // full in 2 s; room for two clients
  EXPECT_EQ(drain(l, "a"), 2);  // at 0 s: full again at 2 s
  advance(500ms);
  EXPECT_TRUE(check(l, "b").allowed);  // at 0.5 s, one token left: full at 1.5 s
  advance(1250ms);
  // 1.75 s: a third client needs room. "b" is full, so forgetting it loses
  // nothing; "a", the longest idle, is not, and keeps what it has (1.75 tokens).
  EXPECT_TRUE(check(l, "c").allowed);
  EXPECT_EQ(clients(l), 2u);
  EXPECT_TRUE(check(l, "a").allowed);
  EXPECT_FALSE(check(l, "a").allowed) << "a's bucket was forgotten: it came back full";
}

TEST_F(LimiterTiming, AFloodOfAddressesStaysBounded) {
  // A bucket per address for 20 000 addresses, but room for only 1 000 of them.
  auto l = spawn(1, 5, 1000);
  auto allowed = std::make_shared<int>(0);
  // With an argument: CAF 0.17's argument-less spawn trips UBSan (manual_time.hpp).
  sys_.spawn(
    [l, allowed](caf::event_based_actor* self, int) {
      for (int i = 0; i < 20000; ++i)
        self
          ->request(l, caf::infinite, rate_check_atom::value,
                    "198.51." + std::to_string(i / 256) + "." + std::to_string(i % 256))
          .then([allowed](rate_decision& r) { *allowed += r.allowed ? 1 : 0; },
                [](caf::error& e) { ADD_FAILURE() << caf::to_string(e); });
    },
    0);
  run();
  EXPECT_EQ(*allowed, 20000);  // every new address starts with a full bucket
  EXPECT_LE(clients(l), 1000u);
  EXPECT_GT(clients(l), 0u);
  // The limiter still answers, and correctly for a busy client.
  EXPECT_EQ(drain(l, "busy"), 5);
  EXPECT_LE(clients(l), 1000u);
}
