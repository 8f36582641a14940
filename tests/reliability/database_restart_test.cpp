// PostgreSQL restarted while user-service is idle: every pooled connection is then
// dead, though nothing was sent on it. Once PostgreSQL accepts connections again, a
// burst of reads and writes must find no 503: a connection found dead at use is
// replaced before its statement is sent, and the database counts as down only when
// a fresh connection fails. Both ways PostgreSQL goes down for a restart: a fast
// shutdown (SIGINT: backends send FATAL 57P01 and close) and an immediate one
// (SIGQUIT: backends exit at once). Runs before database_kill_test.cpp, the last.
#include <signal.h>

#include <atomic>
#include <fstream>
#include <iostream>
#include <mutex>
#include <sstream>
#include <thread>

#include <pqxx/pqxx>

#include "reliability/cluster_control.hpp"
#include "reliability/reliability_fixture.hpp"
#include "support/pg_env.hpp"

namespace reliability {
namespace {

using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;

// Stops the cluster with `signal` to the postmaster (SIGINT: fast shutdown,
// SIGQUIT: immediate) and waits until it is gone; then starts it on the same port.
void restart_cluster(int signal) {
  const int port = svc_test::pg_port();
  const int pid = postmaster_pid();
  ASSERT_GT(pid, 0) << "no postmaster.pid in " << svc_test::pg_dir();
  ASSERT_EQ(::kill(pid, signal), 0);
  ASSERT_TRUE(svc_test::poll_until([&] { return svc_test::pg_ctl("status") != 0; },
                                   std::chrono::seconds{30}, 20ms))
    << "PostgreSQL did not stop";
  ASSERT_EQ(start_cluster(port), 0) << "local-postgres.sh start failed";
}

struct restart_case {
  const char* name;
  int signal;
};

void PrintTo(const restart_case& c, std::ostream* os) {
  *os << c.name << " shutdown";
}

class DatabaseRestart : public ::testing::TestWithParam<restart_case> {};

constexpr int pool_size = 8;
constexpr int clients = 8;
constexpr int requests_per_client = 25;  // 200 in the burst

TEST_P(DatabaseRestart, IdlePoolServesTheFirstBurstAfterARestartWithoutA503) {
  const std::string db = std::string{"rel_database_restart_"} + GetParam().name;
  const auto url = svc_test::fresh_database(db);
  {
    // The test cluster commits asynchronously; an immediate shutdown would lose the
    // warm-up's last users, which the burst reads back.
    pqxx::connection admin{svc_test::database_url("postgres")};
    pqxx::nontransaction{admin}.exec("ALTER DATABASE " + db + " SET synchronous_commit = on");
  }
  const auto port = svc_test::free_port();
  auto env = e2e::instance_env(port, url);
  env["DB_POOL_MIN_IDLE"] = std::to_string(pool_size);
  env["DB_POOL_MAX"] = std::to_string(2 * pool_size);
  e2e::service_process service{
    {.executable = e2e::user_service_binary, .args = {}, .env = env, .log_name = db}};
  service.wait_ready(port);
  const auto pid = service.pid();
  cluster_guard guard;

  // Warm the pool: every connection opened and its statements used once.
  const auto t = unique_tag();
  std::vector<long long> ids;
  std::mutex mutex;
  {
    load_threads warm;
    for (int c = 0; c < clients; ++c)
      warm.threads.emplace_back([&, c] {
        svc_test::http_client client{port};
        for (int i = 0; i < 3; ++i) {
          const auto email = "warm." + t + "." + std::to_string(c) + "." + std::to_string(i) +
                             "@example.com";
          const auto r = client.post("/api/v1/users", {{"name", "Warm " + t}, {"email", email}});
          if (r.status == 201) {
            std::lock_guard lock{mutex};
            ids.push_back(r.json()["data"]["id"].get<long long>());
          }
          client.get("/api/v1/users?page_size=5");
        }
      });
  }
  ASSERT_EQ(ids.size(), static_cast<std::size_t>(clients * 3)) << service.log_tail(20);

  // Idle: no request in flight while PostgreSQL goes down and comes back.
  const auto restarting = clock_type::now();
  restart_cluster(GetParam().signal);
  if (HasFatalFailure())
    return;
  ASSERT_TRUE(
    svc_test::poll_until([&] { return database_answers(url); }, std::chrono::seconds{30}, 20ms));
  const auto restart_ms = ms_since(restarting);

  std::map<unsigned, int> statuses;
  std::vector<std::string> unexpected;
  const auto burst_started = clock_type::now();
  {
    load_threads burst;
    for (int c = 0; c < clients; ++c)
      burst.threads.emplace_back([&, c] {
        svc_test::http_client client{port};
        for (int i = 0; i < requests_per_client; ++i) {
          svc_test::reply r;
          try {
            if (i % 3 == 0) {
              const auto email = "burst." + t + "." + std::to_string(c) + "." + std::to_string(i) +
                                 "@example.com";
              r = client.post("/api/v1/users", {{"name", "Burst " + t}, {"email", email}});
            } else if (i % 3 == 1) {
              r = client.get("/api/v1/users/" +
                             std::to_string(ids[(c * requests_per_client + i) % ids.size()]));
            } else {
              r = client.get("/api/v1/users?page_size=5");
            }
          } catch (const std::exception& e) {
            std::lock_guard lock{mutex};
            unexpected.push_back(std::string{"transport error: "} + e.what());
            continue;
          }
          std::lock_guard lock{mutex};
          ++statuses[r.status];
          if (r.status != 200 && r.status != 201 && unexpected.size() < 5)
            unexpected.push_back(e2e::describe(r));
        }
      });
  }
  const auto burst_ms = ms_since(burst_started);

  std::ostringstream out;
  for (const auto& [status, n] : statuses)
    out << " " << n << " x " << status;
  for (const auto& u : unexpected)
    out << "\n  " << u;
  const auto summary = out.str();
  EXPECT_EQ(statuses[503], 0) << summary;
  EXPECT_EQ(statuses[200] + statuses[201], clients * requests_per_client) << summary;
  EXPECT_EQ(svc_test::http_client{port}.get("/health/ready").status, 200u);
  EXPECT_EQ(service.pid(), pid);
  std::cerr << "reliability: PostgreSQL restarted (" << GetParam().name << " shutdown, "
            << restart_ms << " ms) under an idle pool of " << pool_size << "; the first burst of "
            << clients * requests_per_client << " requests took " << burst_ms << " ms:" << summary
            << "\n";
  EXPECT_EQ(service.terminate(), std::optional<int>{0});
}

INSTANTIATE_TEST_SUITE_P(shutdown, DatabaseRestart,
                         ::testing::Values(restart_case{"fast", SIGINT},
                                           restart_case{"immediate", SIGQUIT}),
                         [](const auto& info) { return std::string{info.param.name}; });

}  // namespace
}  // namespace reliability
