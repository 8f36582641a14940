// The limiter with RATE_LIMIT_BACKEND=redis against a real redis-server: two
// limiters in two actor systems (two replicas) share one bucket per client; the
// local bucket answers while Redis is down or hung, counted and logged once per
// change; Redis back means shared again.
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include "actors/limiter_actor.hpp"
#include "observability/log.hpp"
#include "redis/redis_server.hpp"

namespace svc {
namespace {

using namespace std::chrono_literals;
using clock = std::chrono::steady_clock;

// The value of the series `name{service="..."}` in a /metrics text; -1 when absent.
double metric(const service_metrics& m, const std::string& name) {
  std::istringstream lines{m.render()};
  std::string line;
  while (std::getline(lines, line))
    if (line.rfind(name + "{", 0) == 0)
      return std::stod(line.substr(line.rfind(' ') + 1));
  return -1;
}

// One replica: an actor system of its own with one limiter in it.
class replica {
public:
  // answer_within: the service's 50 ms unless a test is about something else than
  // that timeout, and a loaded test machine must not make Redis look slow.
  replica(const std::string& redis_url, rate_limit_settings limits,
          const std::string& service = "user-service",
          std::chrono::milliseconds answer_within = 50ms)
      : metrics(std::make_shared<service_metrics>(service)) {
    limiter_config config;
    config.settings = limits;
    config.metrics = metrics;
    config.shared = shared_limit_config{redis_url, service, nullptr, answer_within};
    limiter = spawn_limiter(sys_, std::move(config));
  }
  ~replica() {
    caf::anon_send_exit(limiter, caf::exit_reason::user_shutdown);
    limiter = nullptr;
  }

  // One check, answered within `bound` (or the test fails).
  rate_decision check(const std::string& client, std::chrono::milliseconds bound = 2000ms) {
    caf::scoped_actor self{sys_};
    rate_decision out;
    bool answered = false;
    self->request(limiter, bound, rate_check_atom::value, client)
      .receive([&](rate_decision d) { out = d, answered = true; }, [&](caf::error&) {});
    EXPECT_TRUE(answered) << "the limiter did not answer within " << bound.count() << " ms";
    return out;
  }

  bool shared() {
    caf::scoped_actor self{sys_};
    bool up = false;
    self->request(limiter, 2s, rate_shared_atom::value)
      .receive([&](bool b) { up = b; }, [&](caf::error&) {});
    return up;
  }

  bool becomes_shared(std::chrono::milliseconds within = 10s) {
    for (auto until = clock::now() + within; clock::now() < until;
         std::this_thread::sleep_for(20ms))
      if (shared())
        return true;
    return false;
  }

  std::shared_ptr<service_metrics> metrics;
  limiter_actor limiter;

private:
  caf::actor_system_config config_;  // before the system, which refers to it
  caf::actor_system sys_{config_};
};

// Log lines (stdout) captured into a file while the object lives.
class captured_log {
public:
  captured_log() {
    std::fflush(stdout);
    char tmpl[] = "/tmp/svc-limiter-log-XXXXXX";
    int fd = ::mkstemp(tmpl);
    path_ = tmpl;
    saved_ = ::dup(1);
    ::dup2(fd, 1);
    ::close(fd);
  }
  ~captured_log() {
    std::fflush(stdout);
    ::dup2(saved_, 1);
    ::close(saved_);
    ::unlink(path_.c_str());
  }
  int count(const std::string& text) const {
    std::ifstream in{path_};
    std::string line;
    int n = 0;
    while (std::getline(in, line))
      n += line.find(text) != std::string::npos;
    return n;
  }

private:
  std::string path_;
  int saved_ = -1;
};

constexpr const char* shared_line = "rate limit buckets shared through Redis";
constexpr const char* down_line = "Redis unreachable";

class shared_limiter : public ::testing::Test {
protected:
  static void SetUpTestSuite() { log::init("limiter-test", log::level::info, log::format::text); }
  testing::redis_server redis;
};

TEST_F(shared_limiter, one_client_is_held_to_one_rate_across_two_replicas) {
  const rate_limit_settings limits{20, 10};
  replica a{redis.url(), limits, "user-service", 1000ms},
    b{redis.url(), limits, "user-service", 1000ms};
  ASSERT_TRUE(a.becomes_shared());
  ASSERT_TRUE(b.becomes_shared());

  long allowed = 0;
  const auto start = clock::now();
  const auto until = start + 1500ms;
  for (int i = 0; clock::now() < until; ++i)
    allowed += (i % 2 ? a : b).check("203.0.113.1").allowed;
  const double elapsed = std::chrono::duration<double>(clock::now() - start).count();

  // burst + rate x time, for both together: per-process buckets would allow twice that.
  const double expected = limits.burst + limits.rate_per_second * elapsed;
  EXPECT_LE(allowed, expected + 1) << "elapsed " << elapsed << " s";
  EXPECT_GE(allowed, expected - 3) << "elapsed " << elapsed << " s";
  EXPECT_LE(metric(*a.metrics, "rate_limit_backend_fallback_total"), 0);  // absent or 0
  EXPECT_LE(metric(*b.metrics, "rate_limit_backend_fallback_total"), 0);
  EXPECT_EQ(metric(*a.metrics, "rate_limit_backend_up"), 1);
  EXPECT_GT(metric(*a.metrics, "rate_limit_rejected_total") +
              metric(*b.metrics, "rate_limit_rejected_total"),
            0);
}

TEST_F(shared_limiter, clients_and_services_have_buckets_of_their_own) {
  const rate_limit_settings limits{0.001, 3};
  replica a{redis.url(), limits}, b{redis.url(), limits},
    orders{redis.url(), limits, "order-service"};
  ASSERT_TRUE(a.becomes_shared() && b.becomes_shared() && orders.becomes_shared());
  for (int i = 0; i < 3; ++i)
    EXPECT_TRUE((i % 2 ? a : b).check("10.0.0.1").allowed) << i;
  auto refused = b.check("10.0.0.1");
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.remaining, 0);
  EXPECT_GE(refused.retry_after.count(), 1);
  EXPECT_FALSE(a.check("10.0.0.1").allowed);

  auto other = a.check("10.0.0.2");  // another client: a full bucket
  EXPECT_TRUE(other.allowed);
  EXPECT_EQ(other.remaining, 2);
  EXPECT_TRUE(orders.check("10.0.0.1").allowed);  // another service: its own bucket
  EXPECT_EQ(redis.command(
              {"EXISTS", "ratelimit:user-service:10.0.0.1", "ratelimit:order-service:10.0.0.1"}),
            "2");
}

TEST_F(shared_limiter, keys_expire_once_their_bucket_is_full_again) {
  const rate_limit_settings limits{10, 5};
  replica a{redis.url(), limits};
  ASSERT_TRUE(a.becomes_shared());
  EXPECT_TRUE(a.check("192.0.2.9").allowed);
  const std::string key = "ratelimit:user-service:192.0.2.9";
  // One token short: full again in 100 ms, kept a second longer than that.
  auto ttl = std::stol(redis.command({"PTTL", key}));
  EXPECT_GT(ttl, 0);
  EXPECT_LE(ttl, 1100);
  std::this_thread::sleep_for(1300ms);
  EXPECT_EQ(redis.command({"EXISTS", key}), "0");
  auto fresh = a.check("192.0.2.9");  // a forgotten bucket is a full one: nothing lost
  EXPECT_TRUE(fresh.allowed);
  EXPECT_EQ(fresh.remaining, 4);
}

TEST_F(shared_limiter, a_flushed_script_is_sent_again_with_eval) {
  const rate_limit_settings limits{0.001, 4};
  replica a{redis.url(), limits};
  ASSERT_TRUE(a.becomes_shared());
  EXPECT_EQ(a.check("198.51.100.1").remaining, 3);
  EXPECT_EQ(redis.command({"SCRIPT", "FLUSH"}), "OK");
  EXPECT_EQ(a.check("198.51.100.1").remaining, 2);  // still the shared bucket
  EXPECT_EQ(a.check("198.51.100.1").remaining, 1);
  EXPECT_LE(metric(*a.metrics, "rate_limit_backend_fallback_total"), 0);
}

TEST_F(shared_limiter, redis_killed_then_restarted_local_buckets_decide_meanwhile) {
  captured_log log;
  const rate_limit_settings limits{0.001, 3};
  replica a{redis.url(), limits}, b{redis.url(), limits};
  ASSERT_TRUE(a.becomes_shared() && b.becomes_shared());
  EXPECT_TRUE(a.check("203.0.113.5").allowed);
  EXPECT_TRUE(b.check("203.0.113.5").allowed);

  redis.kill();
  // Every check is still answered, by each replica's own bucket (3 each).
  int allowed = 0;
  for (int i = 0; i < 40; ++i) {
    auto before = clock::now();
    allowed += (i % 2 ? a : b).check("203.0.113.6", 500ms).allowed;
    EXPECT_LT(clock::now() - before, 250ms) << i;
    std::this_thread::sleep_for(25ms);  // a second of outage: several reconnect attempts
  }
  EXPECT_EQ(allowed, 6);
  EXPECT_FALSE(a.shared());
  EXPECT_GE(metric(*a.metrics, "rate_limit_backend_fallback_total"), 19);
  EXPECT_GE(metric(*b.metrics, "rate_limit_backend_fallback_total"), 19);
  EXPECT_EQ(metric(*a.metrics, "rate_limit_backend_up"), 0);
  EXPECT_EQ(log.count(down_line), 2);  // one line per replica, not per request or attempt

  redis.start();  // same port, empty
  ASSERT_TRUE(a.becomes_shared());
  ASSERT_TRUE(b.becomes_shared());
  EXPECT_EQ(metric(*b.metrics, "rate_limit_backend_up"), 1);
  const auto fallbacks = metric(*a.metrics, "rate_limit_backend_fallback_total");
  allowed = 0;
  for (int i = 0; i < 10; ++i)
    allowed += (i % 2 ? a : b).check("203.0.113.7").allowed;
  EXPECT_EQ(allowed, 3);  // one bucket again
  EXPECT_EQ(metric(*a.metrics, "rate_limit_backend_fallback_total"), fallbacks);
  EXPECT_EQ(log.count(down_line), 2);
  EXPECT_EQ(log.count(shared_line), 4);  // at start and after the restart, per replica
}

TEST_F(shared_limiter, a_hung_redis_is_waited_for_briefly_then_given_up) {
  captured_log log;
  const rate_limit_settings limits{0.001, 2};
  replica a{redis.url(), limits};
  ASSERT_TRUE(a.becomes_shared());
  redis.pause();
  for (int i = 0; i < 4; ++i) {
    auto before = clock::now();
    auto d = a.check("192.0.2.77", 500ms);
    EXPECT_EQ(d.allowed, i < 2) << i;  // the local bucket: 2
    EXPECT_LT(clock::now() - before, 250ms)
      << i;  // 50 ms for Redis, then the local bucket (slack for a busy CI machine)
  }
  // A command unanswered for a second: the connection counts as dead.
  EXPECT_TRUE([&] {
    for (auto until = clock::now() + 3s; clock::now() < until; std::this_thread::sleep_for(50ms))
      if (!a.shared())
        return true;
    return false;
  }());
  EXPECT_EQ(log.count(down_line), 1);
  redis.resume();
  EXPECT_TRUE(a.becomes_shared());
  EXPECT_GE(metric(*a.metrics, "rate_limit_backend_fallback_total"), 4);
}

}  // namespace
}  // namespace svc
