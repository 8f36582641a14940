// RATE_LIMIT_BACKEND=redis end to end: two user-service processes (two
// replicas) on one Redis and one database; one client alternating between them
// is held to RATE_LIMIT_RPS once, not once per replica.
#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "e2e/e2e_fixture.hpp"
#include "redis/redis_server.hpp"

namespace e2e {
namespace {

using namespace std::chrono_literals;
using clock = std::chrono::steady_clock;

TEST(shared_rate_limit, one_client_across_two_replicas_gets_429s_at_the_shared_rate) {
  svc::testing::redis_server redis;
  const auto database = fresh_database("e2e_shared_rate_limit");
  constexpr double rps = 2;
  constexpr int burst = 4;
  std::vector<running_service> replicas(2);
  for (std::size_t i = 0; i < replicas.size(); ++i) {
    auto& r = replicas[i];
    r.port = free_port();
    auto env = instance_env(r.port, database);
    env["RATE_LIMIT_BACKEND"] = "redis";
    env["REDIS_URL"] = redis.url();
    env["RATE_LIMIT_RPS"] = std::to_string(rps);
    env["RATE_LIMIT_BURST"] = std::to_string(burst);
    r.process = std::make_unique<service_process>(
      service_process::options{.executable = user_service_binary,
                               .args = {},
                               .env = env,
                               .log_name = "shared-rate-limit-" + std::to_string(i)});
    r.process->wait_ready(r.port);
  }
  for (auto& r : replicas)
    ASSERT_TRUE(poll_until(
      [&] {
        return r.process->log_text().find("rate limit buckets shared through Redis") !=
               std::string::npos;
      },
      10s, 50ms))
      << r.process->log_tail();

  http_client first{replicas[0].port}, second{replicas[1].port};
  int allowed = 0;
  int refused_by[2] = {0, 0};
  const auto start = clock::now();
  for (int i = 0; clock::now() - start < 3s; ++i) {
    auto reply = (i % 2 ? second : first).get("/api/v1/users?page_size=1");
    if (reply.status == 200) {
      ++allowed;
    } else {
      ASSERT_TRUE(is_error(reply, 429, "RATE_LIMIT_EXCEEDED")) << describe(reply);
      EXPECT_GE(std::stoi(reply.header("retry-after")), 1);
      ++refused_by[i % 2];
    }
    std::this_thread::sleep_for(20ms);  // ~50 requests a second, far over the limit
  }
  const double elapsed = std::chrono::duration<double>(clock::now() - start).count();
  // Once for both: two per-process buckets would let twice as many through.
  const double expected = burst + rps * elapsed;
  EXPECT_LE(allowed, expected + 1) << "elapsed " << elapsed << " s";
  EXPECT_GE(allowed, expected - 3) << "elapsed " << elapsed << " s";
  EXPECT_GT(refused_by[0], 0);
  EXPECT_GT(refused_by[1], 0);

  auto metrics = first.get("/metrics");
  EXPECT_NE(metrics.body.find("rate_limit_backend_up{service=\"user-service\"} 1"),
            std::string::npos)
    << metrics.body.substr(0, 2000);
  for (auto& r : replicas)
    EXPECT_EQ(r.process->terminate(), 0) << r.process->log_tail();
}

}  // namespace
}  // namespace e2e
