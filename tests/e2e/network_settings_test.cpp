// The network settings of the contract's 2026-12-05 list, against the real
// user-service: TRUSTED_PROXIES (whose X-Forwarded-For names the client, for the
// rate limiter and the access log). Each test runs its own instance.
#include <sstream>

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
  auto limited = get_as(c, "203.0.113.3", "a3");  // the same client, 127.0.0.1, whatever it forwards
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
  service_process proc{{.executable = user_service_binary, .args = {}, .env = env,
                        .log_name = "e2e_users_bad_TRUSTED_PROXIES"}};
  const auto code = proc.wait_exit(15s);
  ASSERT_TRUE(code.has_value()) << "start-up was not stopped within 15 s";
  EXPECT_EQ(*code, 2);
  EXPECT_NE(proc.log_text().find("invalid value for --http.trusted-proxies (TRUSTED_PROXIES): "
                                 "\"10.0.0.0/8,10.0.0.0/33\""),
            std::string::npos)
    << proc.log_text();
}

}  // namespace
}  // namespace e2e
