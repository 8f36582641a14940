// What operators rely on, checked against the real user-service: Prometheus
// metrics (promtool and a real Prometheus server), rate limiting under a flood,
// the middleware order, and SIGTERM under load.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio.hpp>
#include <csignal>
#include <fstream>
#include <pqxx/pqxx>
#include <thread>

#include "e2e/e2e_fixture.hpp"
#include "support/pg_env.hpp"

using namespace e2e;
using namespace std::chrono_literals;

namespace {

// Runs a shell command; its exit status.
int run(const std::string& command) {
  int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string temp_dir() {
  char pattern[] = "/tmp/svc-ops-XXXXXX";
  return mkdtemp(pattern);
}

// One GET from a chosen loopback source address (another "client IP").
unsigned status_from(const std::string& source_ip, std::uint16_t port, const std::string& target) {
  namespace asio = boost::asio;
  asio::io_context io;
  asio::ip::tcp::socket socket{io};
  socket.open(asio::ip::tcp::v4());
  socket.bind({asio::ip::make_address(source_ip), 0});
  socket.connect({asio::ip::make_address("127.0.0.1"), port});
  std::string request = "GET " + target + " HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n";
  asio::write(socket, asio::buffer(request));
  std::string response;
  boost::system::error_code ec;
  asio::read(socket, asio::dynamic_buffer(response), ec);
  return response.size() > 12 ? std::stoul(response.substr(9, 3)) : 0;
}

}  // namespace

// Dashboards and alerts written against the contract find every family it names
// from the first scrape, not only after the first event of its kind: each error
// code counted from 0, and the breaker families (declared; user-service has no
// breaker, so no series). promtool accepts the families without samples.
TEST(Operations, TheFirstScrapeListsEveryMetricFamilyOfTheContract) {
  auto svc = start_user_service("ops_first_scrape");
  http_client c{svc.port};
  const auto metrics = c.get("/metrics");
  ASSERT_EQ(metrics.status, 200u);
  const auto& text = metrics.body;
  for (auto family : {"http_requests_total counter", "http_request_duration_seconds histogram",
                      "http_requests_in_flight gauge", "app_errors_total counter",
                      "rate_limit_rejected_total counter", "circuit_breaker_state gauge",
                      "circuit_breaker_transitions_total counter",
                      "circuit_breaker_rejected_total counter", "db_pool_connections gauge",
                      "db_pool_wait_seconds histogram", "db_query_duration_seconds histogram"})
    EXPECT_NE(text.find("# TYPE " + std::string{family} + "\n"), std::string::npos) << family;
  for (auto code : {"NOT_FOUND", "VALIDATION_ERROR", "PAYLOAD_TOO_LARGE", "SERVICE_UNAVAILABLE"})
    EXPECT_NE(text.find("app_errors_total{code=\"" + std::string{code} +
                        "\",service=\"user-service\"} 0\n"),
              std::string::npos)
      << code << "\n"
      << text;
  auto dir = temp_dir();
  std::ofstream{dir + "/metrics.txt"} << text;
  EXPECT_EQ(run("promtool check metrics < " + dir + "/metrics.txt > " + dir + "/promtool.out 2>&1"),
            0)
    << file_tail(dir + "/promtool.out");
}

TEST(Operations, MetricsAreValidPrometheusTextWithRouteTemplates) {
  auto svc = start_user_service("ops_metrics");
  http_client c{svc.port};
  auto created = c.post("/api/v1/users", {{"name", "Metric Mia"}, {"email", "mia@example.com"}});
  ASSERT_EQ(created.status, 201u) << describe(created);
  auto id = created.json()["data"]["id"].get<long>();
  ASSERT_EQ(c.get("/api/v1/users/" + std::to_string(id)).status, 200u);
  ASSERT_EQ(c.get("/api/v1/users/987654").status, 404u);
  ASSERT_EQ(c.get("/nowhere/at/all").status, 404u);
  auto metrics = c.get("/metrics");
  ASSERT_EQ(metrics.status, 200u);
  EXPECT_EQ(metrics.header("content-type").rfind("text/plain", 0), 0u);
  auto dir = temp_dir();
  std::ofstream{dir + "/metrics.txt"} << metrics.body;
  EXPECT_EQ(run("promtool check metrics < " + dir + "/metrics.txt > " + dir + "/promtool.out 2>&1"),
            0)
    << file_tail(dir + "/promtool.out");
  const auto& text = metrics.body;
  for (auto name :
       {"http_requests_total", "http_request_duration_seconds_bucket", "http_requests_in_flight",
        "app_errors_total", "rate_limit_rejected_total", "db_pool_connections",
        "db_pool_wait_seconds", "db_query_duration_seconds", "process_resident_memory_bytes",
        "process_cpu_seconds_total", "process_start_time_seconds", "process_virtual_memory_bytes",
        "process_open_fds", "process_max_fds", "db_pool_max_connections",
        "db_pool_acquire_timeouts_total"})
    EXPECT_NE(text.find(name), std::string::npos) << name;
  EXPECT_NE(text.find("service_build_info{service=\"user-service\",version=\""), std::string::npos)
    << text;
  // The service has a listening socket, the database pool and a client connection open.
  const auto fds = text.find("\nprocess_open_fds ");
  ASSERT_NE(fds, std::string::npos);
  EXPECT_GE(std::stod(text.substr(fds + 18)), 3.0);
  // The pool's connections: DB_POOL_MIN_IDLE (2) for transactions, and the
  // pipelined ones, one per I/O thread (2), which carry the reads. The gauge is
  // sampled (by the pool's tick and its connections' events): polled.
  auto pool_connections = [&](const std::string& page) {
    double sum = 0;
    for (std::string state : {"idle", "in_use"}) {
      const std::string series = "db_pool_connections{service=\"user-service\",state=\"" + state +
                                 "\"} ";
      const auto at = page.find(series);
      if (at == std::string::npos)
        return -1.0;
      sum += std::stod(page.substr(at + series.size()));
    }
    return sum;
  };
  EXPECT_TRUE(svc_test::poll_until([&] { return pool_connections(c.get("/metrics").body) >= 4.0; },
                                   std::chrono::seconds{5}, std::chrono::milliseconds{50}))
    << c.get("/metrics").body;
  EXPECT_NE(text.find("\ndb_up{service=\"user-service\"} 1"), std::string::npos) << text;
  EXPECT_NE(text.find("route=\"/api/v1/users/{id}\""), std::string::npos);
  EXPECT_NE(text.find("code=\"NOT_FOUND\""), std::string::npos);
  // Labels never hold raw paths or ids.
  EXPECT_EQ(text.find("/api/v1/users/" + std::to_string(id)), std::string::npos);
  EXPECT_EQ(text.find("987654"), std::string::npos);
  EXPECT_EQ(text.find("/nowhere"), std::string::npos);
}

TEST(Operations, ARealPrometheusScrapesTheService) {
  auto svc = start_user_service("ops_scrape");
  auto dir = temp_dir();
  auto prom_port = free_port();
  std::ofstream{dir + "/prometheus.yml"} << "global:\n  scrape_interval: 1s\n"
                                            "scrape_configs:\n  - job_name: user-service\n"
                                            "    static_configs:\n      - targets: ['127.0.0.1:"
                                         << svc.port << "']\n";
  service_process prometheus{
    {.executable = "/usr/bin/prometheus",
     .args = {"--config.file=" + dir + "/prometheus.yml", "--storage.tsdb.path=" + dir + "/data",
              "--web.listen-address=127.0.0.1:" + std::to_string(prom_port)},
     .env = {},
     .log_name = "prometheus"}};
  http_client prom{prom_port};
  bool scraped = false;
  for (int i = 0; i < 60 && !scraped; ++i) {
    std::this_thread::sleep_for(500ms);
    try {
      auto r = prom.get("/api/v1/query?query=" + url_encode("up{job=\"user-service\"}"));
      if (r.status == 200) {
        auto result = r.json()["data"]["result"];
        scraped = !result.empty() && result[0]["value"][1] == "1";
      }
    } catch (const std::exception&) {
      // Prometheus still starting.
    }
  }
  ASSERT_TRUE(scraped) << prometheus.log_tail();
  auto r = prom.get("/api/v1/query?query=" +
                    url_encode("process_start_time_seconds{job=\"user-service\"}"));
  EXPECT_FALSE(r.json()["data"]["result"].empty()) << r.body;
}

TEST(Operations, AFloodFromOneClientIsLimitedWhileOthersAreServed) {
  auto svc = start_user_service("ops_flood", {{"RATE_LIMIT_RPS", "2"}, {"RATE_LIMIT_BURST", "10"}});
  http_client flood{svc.port};
  int ok = 0, limited = 0;
  reply last_429;
  auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < 40; ++i) {
    auto r = flood.get("/api/v1/users", {{"Origin", "https://app.example.com"}});
    if (r.status == 200)
      ++ok;
    if (r.status == 429) {
      ++limited;
      last_429 = r;
    }
    EXPECT_EQ(r.header("x-ratelimit-limit"), "10");
  }
  std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - started;
  EXPECT_GE(ok, 10);
  EXPECT_LE(
    ok, 10 + static_cast<int>(2 * elapsed.count()) + 1);  // the burst, plus what refilled meanwhile
  EXPECT_EQ(ok + limited, 40);
  ASSERT_TRUE(is_error(last_429, 429, "RATE_LIMIT_EXCEEDED"));
  EXPECT_GE(std::stoi(last_429.header("retry-after")), 1);
  EXPECT_EQ(last_429.header("x-ratelimit-remaining"), "0");
  // Middleware order: request id and CORS come before the limiter, so a 429 has both.
  EXPECT_TRUE(is_uuid_v4(last_429.header("x-request-id")));
  EXPECT_EQ(last_429.header("access-control-allow-origin"), "*");
  // Probes and scrapes are never limited; a preflight under /api/ is, like the
  // request it prepares (and like every /api/ answer it carries X-RateLimit-*).
  // A token may have refilled meanwhile: one preflight can pass.
  int preflights_limited = 0;
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(flood.get("/health/live").status, 200u);
    EXPECT_EQ(flood.get("/health/ready").status, 200u);
    EXPECT_EQ(flood.get("/metrics").status, 200u);
    const auto preflight = flood.request("OPTIONS", "/api/v1/users", "",
                                         {{"Origin", "https://a.example"}});
    if (preflight.status == 429) {
      ++preflights_limited;
      EXPECT_TRUE(is_error(preflight, 429, "RATE_LIMIT_EXCEEDED"));
    } else {
      EXPECT_EQ(preflight.status, 204u) << describe(preflight);
    }
    EXPECT_FALSE(preflight.header("x-ratelimit-remaining").empty()) << describe(preflight);
  }
  EXPECT_GE(preflights_limited, 4);
  // Another client address is served.
  EXPECT_EQ(status_from("127.0.0.2", svc.port, "/api/v1/users"), 200u);
  EXPECT_NE(flood.get("/metrics")
              .body.find("rate_limit_rejected_total{service=\"user-service\"} " +
                         std::to_string(limited + preflights_limited)),
            std::string::npos);
}

TEST(Operations, SigtermUnderLoadAnswersEveryAcceptedRequestAndExitsZero) {
  auto svc = start_user_service("ops_sigterm", {{"SHUTDOWN_TIMEOUT", "20"}});
  std::atomic<bool> stop{false};
  std::atomic<int> created{0}, refused{0}, other{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t)
    clients.emplace_back([&, t] {
      for (int i = 0; !stop; ++i) {
        try {
          http_client c{svc.port, 5s};
          auto r = c.post("/api/v1/users", {{"name", "Load " + std::to_string(t)},
                                            {"email", "load" + std::to_string(t) + "-" +
                                                        std::to_string(i) + "@example.com"}});
          (r.status == 201 ? created : other)++;
        } catch (const std::exception&) {
          refused++;  // not accepted: the listener is closed
          std::this_thread::sleep_for(10ms);
        }
      }
    });
  std::this_thread::sleep_for(1500ms);
  ASSERT_GT(created.load(), 0);
  ::kill(svc.process->pid(), SIGTERM);
  auto code = svc.process->wait_exit(40s);
  stop = true;
  for (auto& c : clients)
    c.join();
  ASSERT_TRUE(code.has_value()) << svc.process->log_tail();
  EXPECT_EQ(*code, 0) << svc.process->log_tail();
  EXPECT_EQ(other.load(), 0);
  // Nothing acknowledged is lost, and nothing was stored without its 201 reaching the client.
  pqxx::connection conn{svc_test::database_url("ops_sigterm")};
  pqxx::work tx{conn};
  auto rows = tx.exec1("SELECT count(*) FROM users WHERE email LIKE 'load%'")[0].as<int>();
  EXPECT_EQ(rows, created.load());
}
