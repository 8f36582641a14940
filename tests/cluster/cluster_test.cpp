// The replicated layout of deploy/cluster.sh, driven from outside through HAProxy:
// what must hold when replicas restart, die, start together, and share a rate limit.
#include <chrono>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "cluster/cluster_fixture.hpp"
#include "e2e/e2e_fixture.hpp"
#include "e2e/service_process.hpp"
#include "support/http_client.hpp"

namespace cluster {
namespace {

using namespace std::chrono_literals;

// Rate limits out of the way of the load (it comes from one address).
const std::map<std::string, std::string> unlimited{
  {"RATE_LIMIT_RPS", "1000000"}, {"RATE_LIMIT_BURST", "1000000"}, {"SHUTDOWN_TIMEOUT", "10"}};

long long create_user(std::uint16_t port, const std::string& email) {
  e2e::http_client client{port};
  auto reply = client.post("/api/v1/users", {{"name", "Cluster Owner"}, {"email", email}});
  if (reply.status != 201)
    throw std::runtime_error("creating the orders' user: " + e2e::describe(reply));
  return reply.json()["data"]["id"].get<long long>();
}

// Every acknowledged write reads back through HAProxy.
::testing::AssertionResult all_present(
  std::uint16_t users_port, std::uint16_t orders_port,
  const std::vector<std::pair<std::string, std::string>>& writes) {
  e2e::http_client users{users_port};
  e2e::http_client orders{orders_port};
  for (const auto& [path, unique] : writes) {
    auto& client = path.rfind("/api/v1/users/", 0) == 0 ? users : orders;
    auto reply = client.get(path);
    if (reply.status != 200)
      return ::testing::AssertionFailure()
             << "acknowledged " << path << " (" << unique << ") is gone: " << e2e::describe(reply);
  }
  return ::testing::AssertionSuccess();
}

// "user-1" -> "user-service"
std::string service_of(const std::string& replica) {
  return replica.substr(0, replica.find('-')) + "-service";
}

// HAProxy's view of a replica: UP, DOWN, ...
std::string haproxy_state(const local_cluster& cluster, const std::string& replica) {
  const auto url = cluster.value("STATS_URL");  // http://127.0.0.1:PORT/stats;csv
  const auto port_start = url.find(':', 7) + 1;
  const auto port = static_cast<std::uint16_t>(std::stoi(url.substr(port_start)));
  e2e::http_client client{port};
  const auto csv = client.get(url.substr(url.find('/', port_start))).body;
  std::istringstream lines{csv};
  for (std::string line; std::getline(lines, line);) {
    std::vector<std::string> fields;
    std::istringstream cells{line};
    for (std::string cell; std::getline(cells, cell, ',');)
      fields.push_back(cell);
    if (fields.size() > 17 && fields[1] == replica)
      return fields[17];
  }
  return "(not listed)";
}

TEST(Cluster, ARollingRestartUnderLoadFailsNoRequestAndLosesNoWrite) {
  local_cluster cluster{"rolling", unlimited};
  const auto users_port = cluster.port("USERS_PORT");
  const auto orders_port = cluster.port("ORDERS_PORT");
  const auto owner = create_user(users_port, "rolling-owner@cluster.test");

  load traffic;
  traffic.users(users_port, 3);
  traffic.orders(orders_port, 2, owner);
  std::this_thread::sleep_for(1s);
  for (const auto* replica : {"user-1", "user-2", "order-1", "order-2"}) {
    ASSERT_EQ(cluster.replica("restart", replica), 0) << replica << ":\n"
                                                      << cluster.log_tail(replica);
    // From the build the cluster was started from (BIN_DIR), not build/bin: a
    // sanitizer run must not go on with a replica of another build.
    EXPECT_EQ(cluster.executable(replica), std::string{BIN_DIR} + "/" + service_of(replica));
    std::this_thread::sleep_for(500ms);
  }
  std::this_thread::sleep_for(1s);
  traffic.stop();

  EXPECT_TRUE(traffic.failures().empty()) << describe(traffic.failures());
  const auto writes = traffic.acknowledged();
  EXPECT_GT(traffic.requests(), 200) << "the load hardly ran";
  EXPECT_TRUE(all_present(users_port, orders_port, writes));
  // Nothing written twice either: one row per acknowledged write.
  std::size_t users = 0;
  for (const auto& w : writes)
    users += w.first.rfind("/api/v1/users/", 0) == 0 ? 1 : 0;
  EXPECT_EQ(
    cluster.query("users", "SELECT count(*) FROM users WHERE email LIKE 'load-%@cluster.test'"),
    std::to_string(users));
  EXPECT_EQ(cluster.query("orders", "SELECT count(*) FROM orders WHERE product_name LIKE 'load-%'"),
            std::to_string(writes.size() - users));
}

TEST(Cluster, AKilledReplicaFailsAtMostItsRequestsInFlightAndRetriedWritesLandOnce) {
  local_cluster cluster{"killed", unlimited};
  const auto users_port = cluster.port("USERS_PORT");
  const auto orders_port = cluster.port("ORDERS_PORT");
  const auto owner = create_user(users_port, "killed-owner@cluster.test");

  constexpr int order_threads = 4;
  load traffic;
  traffic.orders(orders_port, order_threads, owner, /*retry_failed_writes=*/true);
  std::this_thread::sleep_for(1s);
  ASSERT_EQ(cluster.replica("kill", "order-1"), 0);
  // HAProxy's next check (every 300 ms) takes it out.
  EXPECT_TRUE(
    e2e::poll_until([&] { return haproxy_state(cluster, "order-1") == "DOWN"; }, 5s, 100ms))
    << haproxy_state(cluster, "order-1");
  std::this_thread::sleep_for(1500ms);
  traffic.stop();

  // Only what was in flight on order-1 may have failed: at most one per client.
  EXPECT_LE(traffic.failures().size(), std::size_t{order_threads}) << describe(traffic.failures());
  const auto writes = traffic.acknowledged();
  EXPECT_GT(writes.size(), 50u) << "the load hardly ran";
  EXPECT_TRUE(all_present(users_port, orders_port, writes));
  // Whether a failed attempt had reached the database or not, its retry with the
  // same Idempotency-Key made exactly one order.
  EXPECT_EQ(cluster.query("orders",
                          "SELECT count(*) FROM (SELECT product_name FROM orders "
                          "GROUP BY product_name HAVING count(*) > 1) twice"),
            "0");
  EXPECT_EQ(cluster.query("orders", "SELECT count(*) FROM orders WHERE product_name LIKE 'load-%'"),
            std::to_string(writes.size()));

  ASSERT_EQ(cluster.replica("up", "order-1"), 0) << cluster.log_tail("order-1");
  EXPECT_EQ(cluster.executable("order-1"), std::string{BIN_DIR} + "/order-service");
  EXPECT_EQ(haproxy_state(cluster, "order-1"), "UP");
}

TEST(Cluster, OneClientIsHeldToTheConfiguredRateAcrossBothReplicas) {
  constexpr int burst = 10;
  local_cluster cluster{"ratelimit",
                        {{"RATE_LIMIT_RPS", "2"}, {"RATE_LIMIT_BURST", std::to_string(burst)}}};
  e2e::http_client client{cluster.port("USERS_PORT")};

  // HAProxy alternates the replicas; the client's address reaches them in
  // X-Forwarded-For (HAProxy is a trusted proxy), and both take from one bucket.
  int allowed = 0;
  int limited = 0;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 4 * burst; ++i) {
    auto reply = client.get("/api/v1/users", {{"x-forwarded-for", "198.51.100.7"}});
    if (reply.status == 200) {
      ++allowed;
    } else {
      ASSERT_TRUE(e2e::is_error(reply, 429, "RATE_LIMIT_EXCEEDED"));
      EXPECT_TRUE(reply.has_header("retry-after"));
      ++limited;
    }
  }
  const double seconds =
    std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  // A bucket per replica would have let 2 × burst through.
  EXPECT_LE(allowed, burst + static_cast<int>(2 * seconds) + 1) << "over " << seconds << " s";
  EXPECT_GE(allowed, burst);
  EXPECT_GT(limited, 0);
  // Another client is not held back by the first one's bucket.
  EXPECT_EQ(client.get("/api/v1/users", {{"x-forwarded-for", "198.51.100.8"}}).status, 200u);
}

TEST(Cluster, FourReplicasStartedTogetherOnAnEmptyDatabaseEndWithOneSchema) {
  const auto url = e2e::fresh_database("cluster_migrations_users");
  std::vector<std::unique_ptr<e2e::service_process>> replicas;
  std::vector<std::uint16_t> ports;
  for (int i = 0; i < 4; ++i) {
    ports.push_back(e2e::free_port());
    replicas.push_back(std::make_unique<e2e::service_process>(
      e2e::service_process::options{.executable = e2e::user_service_binary,
                                    .args = {},
                                    .env = e2e::instance_env(ports.back(), url),
                                    .log_name = "cluster-migrations-" + std::to_string(i)}));
  }
  for (int i = 0; i < 4; ++i)
    ASSERT_NO_THROW(replicas[i]->wait_ready(ports[i], 30s)) << replicas[i]->log_tail();

  const auto count = [&](const std::string& sql) {
    pqxx::connection c{url};
    pqxx::nontransaction tx{c};
    return tx.exec1(sql)[0].as<std::string>();
  };
  // Every migration once, and each replica serves the same schema.
  EXPECT_EQ(count("SELECT count(*) - count(DISTINCT version) FROM schema_migrations"), "0");
  EXPECT_NE(count("SELECT count(*) FROM schema_migrations"), "0");
  for (std::size_t i = 0; i < ports.size(); ++i) {
    e2e::http_client client{ports[i]};
    auto reply = client.post("/api/v1/users",
                             {{"name", "Replica " + std::to_string(i)},
                              {"email", "replica-" + std::to_string(i) + "@cluster.test"}});
    EXPECT_EQ(reply.status, 201u) << e2e::describe(reply);
  }
  EXPECT_EQ(count("SELECT count(*) FROM users"), "4");
}

}  // namespace
}  // namespace cluster
