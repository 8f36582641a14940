// The network settings of the contract's 2026-12-05 list, against the real
// user-service: TRUSTED_PROXIES (whose X-Forwarded-For names the client, for the
// rate limiter and the access log) and MANAGEMENT_PORT (a listener of its own for
// the probes and /metrics). Each test runs its own instance.
#include <csignal>
#include <sstream>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "e2e/e2e_fixture.hpp"

namespace e2e {
namespace {

using namespace std::chrono_literals;

class NetworkSettings : public ::testing::Test {
protected:
  void TearDown() override {
    if (HasFailure() && svc_.process)
      std::cerr << "---- tail of " << svc_.process->log_path() << " ----\n"
                << svc_.process->log_tail(40) << "---- end ----\n";
  }

  // A burst of 2 that refills one token every 100 s: a third request within the
  // test is a 429 unless it lands in another bucket.
  void start(const std::string& db, std::map<std::string, std::string> env) {
    env["RATE_LIMIT_RPS"] = "0.01";
    env["RATE_LIMIT_BURST"] = "2";
    ASSERT_NO_THROW(svc_ = start_user_service(db, std::move(env)));
  }

  reply get_as(http_client& c, const std::string& forwarded_for, const std::string& rid) {
    return c.get("/api/v1/users", {{"X-Forwarded-For", forwarded_for}, {"X-Request-ID", rid}});
  }

  // The access line of request `rid` (an empty object when none shows within 5 s).
  json access_line(const std::string& rid) {
    json line = json::object();
    poll_until(
      [&] {
        std::istringstream in{svc_.process->log_text()};
        for (std::string text; std::getline(in, text);) {
          auto j = json::parse(text, nullptr, false);
          if (j.is_object() && j.value("request_id", "") == rid && j.value("msg", "") == "request")
            line = j;
        }
        return !line.empty();
      },
      5s);
    return line;
  }

  running_service svc_;
};

TEST_F(NetworkSettings, ClientsForwardedByATrustedProxyHaveTheirOwnBuckets) {
  start("e2e_users_trusted_proxies", {{"TRUSTED_PROXIES", "10.0.0.0/8, 127.0.0.1/32"}});
  http_client c{svc_.port};  // connects from 127.0.0.1: the trusted proxy
  EXPECT_EQ(get_as(c, "203.0.113.1", "a1").status, 200u);
  EXPECT_EQ(get_as(c, "203.0.113.1", "a2").status, 200u);
  auto limited = get_as(c, "203.0.113.1", "a3");
  EXPECT_TRUE(is_error(limited, 429, "RATE_LIMIT_EXCEEDED")) << describe(limited);
  // Another client behind the same proxy: a bucket of its own, full.
  auto other = get_as(c, "198.51.100.7", "b1");
  EXPECT_EQ(other.status, 200u) << describe(other);
  EXPECT_EQ(other.header("x-ratelimit-remaining"), "1");
  // What a client writes left of the address the proxy appended is not believed:
  // "203.0.113.1" here is spoofed, the client is 198.51.100.8.
  EXPECT_EQ(get_as(c, "203.0.113.1, 198.51.100.8", "c1").status, 200u);
  // Every hop trusted: the left-most one is the client (10.1.1.1, fresh bucket).
  EXPECT_EQ(get_as(c, "10.1.1.1, 10.2.2.2", "d1").header("x-ratelimit-remaining"), "1");
  // Without the header, the proxy itself is the client: a bucket of its own.
  auto direct = c.get("/api/v1/users");
  EXPECT_EQ(direct.status, 200u) << describe(direct);
  EXPECT_EQ(direct.header("x-ratelimit-remaining"), "1");

  auto line = access_line("b1");
  EXPECT_EQ(line.value("client", ""), "198.51.100.7") << line.dump();
  EXPECT_EQ(line.value("peer", ""), "127.0.0.1") << line.dump();
  EXPECT_EQ(access_line("c1").value("client", ""), "198.51.100.8");
  EXPECT_EQ(access_line("d1").value("client", ""), "10.1.1.1");
}

TEST_F(NetworkSettings, WithoutTrustedProxiesXForwardedForIsIgnored) {
  start("e2e_users_no_trusted_proxies", {});
  http_client c{svc_.port};
  EXPECT_EQ(get_as(c, "203.0.113.1", "a1").status, 200u);
  EXPECT_EQ(get_as(c, "203.0.113.2", "a2").status, 200u);
  auto limited = get_as(c, "203.0.113.3",
                        "a3");  // the same client, 127.0.0.1, whatever it forwards
  EXPECT_TRUE(is_error(limited, 429, "RATE_LIMIT_EXCEEDED")) << describe(limited);
  auto line = access_line("a2");
  EXPECT_EQ(line.value("client", ""), "127.0.0.1") << line.dump();
  EXPECT_FALSE(line.contains("peer")) << line.dump();
}

TEST_F(NetworkSettings, XForwardedForOfAnUntrustedPeerIsIgnored) {
  start("e2e_users_untrusted_peer", {{"TRUSTED_PROXIES", "10.0.0.0/8,fd00::/8"}});
  http_client c{svc_.port};
  EXPECT_EQ(get_as(c, "203.0.113.1", "a1").status, 200u);
  EXPECT_EQ(get_as(c, "203.0.113.2", "a2").status, 200u);
  auto limited = get_as(c, "203.0.113.3", "a3");
  EXPECT_TRUE(is_error(limited, 429, "RATE_LIMIT_EXCEEDED")) << describe(limited);
  EXPECT_EQ(access_line("a2").value("client", ""), "127.0.0.1");
}

TEST_F(NetworkSettings, AMalformedTrustedProxiesListStopsStartUpWithExitCode2) {
  auto port = free_port();
  std::string db_url;
  ASSERT_NO_THROW(db_url = fresh_database("e2e_users_bad_trusted_proxies"));
  auto env = instance_env(port, db_url);
  env["TRUSTED_PROXIES"] = "10.0.0.0/8,10.0.0.0/33";
  service_process proc{{.executable = user_service_binary,
                        .args = {},
                        .env = env,
                        .log_name = "e2e_users_bad_TRUSTED_PROXIES"}};
  const auto code = proc.wait_exit(15s);
  ASSERT_TRUE(code.has_value()) << "start-up was not stopped within 15 s";
  EXPECT_EQ(*code, 2);
  EXPECT_NE(proc.log_text().find("invalid value for --http.trusted-proxies (TRUSTED_PROXIES): "
                                 "\"10.0.0.0/8,10.0.0.0/33\""),
            std::string::npos)
    << proc.log_text();
}

// --- MANAGEMENT_PORT -------------------------------------------------------------

// A user-service with MANAGEMENT_PORT: waits on the management port's
// /health/live (the API port has none then).
running_service start_with_management(const std::string& db, std::uint16_t management_port,
                                      std::map<std::string, std::string> extra = {}) {
  running_service s;
  s.port = free_port();
  auto env = instance_env(s.port, fresh_database(db));
  env["MANAGEMENT_PORT"] = std::to_string(management_port);
  for (auto& [key, value] : extra)
    env[key] = value;
  s.process = std::make_unique<service_process>(service_process::options{
    .executable = user_service_binary, .args = {}, .env = std::move(env), .log_name = db});
  s.process->wait_ready(management_port);
  return s;
}

TEST_F(NetworkSettings, ManagementPortServesProbesAndMetricsAndTheApiPortDoesNot) {
  auto management_port = free_port();
  ASSERT_NO_THROW(svc_ = start_with_management("e2e_users_management_port", management_port));
  http_client api{svc_.port};
  http_client management{management_port};

  auto created = api.post("/api/v1/users",
                          {{"name", "Port Paula"}, {"email", "paula@example.com"}});
  EXPECT_EQ(created.status, 201u) << describe(created);
  EXPECT_EQ(api.get("/api/v1/users").status, 200u);
  EXPECT_EQ(api.get("/openapi.json").status, 200u);

  // Probes and scrapes on the management port.
  for (const char* path : {"/health", "/health/live", "/health/ready"}) {
    auto r = management.get(path);
    EXPECT_EQ(r.status, 200u) << path << ": " << describe(r);
    EXPECT_EQ(r.json().value("service", ""), "user-service") << path;
  }
  auto metrics = management.get("/metrics");
  ASSERT_EQ(metrics.status, 200u) << describe(metrics);
  EXPECT_EQ(metrics.header("content-type").rfind("text/plain", 0), 0u);
  EXPECT_NE(metrics.body.find("route=\"/api/v1/users\""), std::string::npos);  // the API's traffic

  // Not on the API port.
  for (const char* path : {"/health", "/health/live", "/health/ready", "/metrics"}) {
    auto r = api.get(path);
    EXPECT_TRUE(is_error(r, 404, "NOT_FOUND")) << path << ": " << describe(r);
  }
  // The API is not on the management port.
  for (const char* path : {"/api/v1/users", "/api/v1/users/1", "/openapi.json", "/"}) {
    auto r = management.get(path);
    EXPECT_TRUE(is_error(r, 404, "NOT_FOUND")) << path << ": " << describe(r);
    EXPECT_FALSE(r.has_header("x-ratelimit-limit")) << path;
  }
  EXPECT_EQ(management
              .request("POST", "/api/v1/users",
                       json{{"name", "No Body"}, {"email", "no@example.com"}}.dump())
              .status,
            404u);

  // SIGTERM: both listeners close, exit 0.
  auto code = svc_.process->terminate(45s);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0);
  EXPECT_THROW(http_client(management_port, 2s).get("/health/live"), std::runtime_error);
  EXPECT_THROW(http_client(svc_.port, 2s).get("/api/v1/users"), std::runtime_error);
}

// SIGTERM with a request in flight on the API port: while it drains, the API port
// takes no new connection, and the management port still answers: readiness 503,
// liveness 200. Once the request is answered, both close and the exit code is 0.
TEST_F(NetworkSettings, TheManagementPortReportsTheDrainAndClosesAfterTheApiPort) {
  namespace asio = boost::asio;
  auto management_port = free_port();
  ASSERT_NO_THROW(svc_ = start_with_management("e2e_users_management_drain", management_port,
                                               {{"SHUTDOWN_TIMEOUT", "20"}}));
  http_client management{management_port};
  ASSERT_EQ(management.get("/health/ready").status, 200u);

  // A request whose headers are in and whose body is not: in flight until it is.
  asio::io_context io;
  asio::ip::tcp::socket parked{io};
  parked.connect({asio::ip::make_address("127.0.0.1"), svc_.port});
  const auto body = json{{"name", "Parked Pat"}, {"email", "parked.pat@example.com"}}.dump();
  asio::write(
    parked,
    asio::buffer("POST /api/v1/users HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
                 "Content-Length: " +
                 std::to_string(body.size()) + "\r\n\r\n"));
  std::this_thread::sleep_for(500ms);  // for the server to read the headers

  ASSERT_EQ(::kill(svc_.process->pid(), SIGTERM), 0);
  reply ready;
  EXPECT_TRUE(poll_until(
    [&] {
      ready = http_client(management_port, 2s).get("/health/ready");
      return ready.status == 503;
    },
    5s, 50ms))
    << "readiness on the management port during the drain: " << describe(ready);
  // The drain is the reason; the database still answers, and the checks say so.
  if (is_json_body(ready)) {
    EXPECT_EQ(ready.json().value("reason", ""), "draining") << ready.body;
    EXPECT_EQ(ready.json().value("checks", json::object()), (json{{"database", "ok"}}))
      << ready.body;
  }
  EXPECT_EQ(http_client(management_port, 2s).get("/health/live").status, 200u);
  EXPECT_THROW(http_client(svc_.port, 2s).get("/api/v1/users"), std::runtime_error)
    << "the API listener is closed";
  EXPECT_TRUE(svc_.process->running());

  // The parked request is answered, then the process exits 0 and the management port closes.
  asio::write(parked, asio::buffer(body));
  std::string received;
  boost::system::error_code ec;
  asio::read(parked, asio::dynamic_buffer(received), ec);  // until the server closes
  auto answer = parse_response(received, true);
  ASSERT_TRUE(answer.has_value()) << received;
  EXPECT_EQ(answer->status, 201u) << received;
  auto code = svc_.process->wait_exit(30s);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0);
  EXPECT_THROW(http_client(management_port, 2s).get("/health/live"), std::runtime_error);
}

TEST_F(NetworkSettings, AManagementPortInUseStopsStartUpWithExitCode1) {
  namespace asio = boost::asio;
  asio::io_context io;
  asio::ip::tcp::acceptor taken{io, {asio::ip::make_address("127.0.0.1"), 0}};  // listening
  const auto busy_port = taken.local_endpoint().port();
  auto port = free_port();
  std::string db_url;
  ASSERT_NO_THROW(db_url = fresh_database("e2e_users_management_port_taken"));
  auto env = instance_env(port, db_url);
  env["MANAGEMENT_PORT"] = std::to_string(busy_port);
  service_process proc{{.executable = user_service_binary,
                        .args = {},
                        .env = env,
                        .log_name = "e2e_users_management_port_taken"}};
  const auto code = proc.wait_exit(30s);
  ASSERT_TRUE(code.has_value()) << "start-up was not stopped within 30 s";
  EXPECT_EQ(*code, 1);
  const auto log = proc.log_text();
  bool named = false;
  std::istringstream in{log};
  for (std::string text; std::getline(in, text);) {
    auto j = json::parse(text, nullptr, false);
    if (j.is_object() && j.value("msg", "") == "cannot listen" &&
        j.value("listener", "") == "management" && j.value("port", 0) == busy_port)
      named = true;
  }
  EXPECT_TRUE(named) << log;
  // The API port it had bound is released again.
  EXPECT_THROW(http_client(port, 2s).get("/api/v1/users"), std::runtime_error);
}

TEST_F(NetworkSettings, AManagementPortEqualToTheApiPortStopsStartUpWithExitCode2) {
  auto port = free_port();
  std::string db_url;
  ASSERT_NO_THROW(db_url = fresh_database("e2e_users_management_port_same"));
  auto env = instance_env(port, db_url);
  env["MANAGEMENT_PORT"] = std::to_string(port);
  service_process proc{{.executable = user_service_binary,
                        .args = {},
                        .env = env,
                        .log_name = "e2e_users_management_port_same"}};
  const auto code = proc.wait_exit(15s);
  ASSERT_TRUE(code.has_value()) << "start-up was not stopped within 15 s";
  EXPECT_EQ(*code, 2);
  EXPECT_NE(proc.log_text().find("invalid value for --http.management-port (MANAGEMENT_PORT)"),
            std::string::npos)
    << proc.log_text();
}

}  // namespace
}  // namespace e2e
