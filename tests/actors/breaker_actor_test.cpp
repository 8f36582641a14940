#include <gtest/gtest.h>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <thread>

#include "actor_test_support.hpp"
#include "actors/breaker_actor.hpp"
#include "support/fake_server.hpp"

using namespace svc;
using namespace std::chrono_literals;
using outcome = outbound_result::outcome;

namespace {

class BreakerActor : public ::testing::Test {
protected:
  breaker_actor spawn(std::string url, int threshold = 2,
                      std::chrono::milliseconds open_timeout = 300ms,
                      std::size_t max_in_flight = 64) {
    breaker_config cfg;
    cfg.max_in_flight = max_in_flight;
    cfg.target_name = "user-service";
    cfg.base = http::base_url::parse(url).value();
    cfg.settings = {threshold, open_timeout, 1};
    http::client_options client;
    client.total_timeout = 1000ms;
    client.connect_timeout = 500ms;
    cfg.transport = http_transport(client);
    cfg.metrics = metrics_;
    breaker_ = spawn_breaker(sys_, cfg);
    return breaker_;
  }

  outbound_result call(long user_id) {
    caf::scoped_actor self{sys_};
    outbound_result out;
    self
      ->request(breaker_, 10s, call_atom::value,
                outbound_call{
                  "GET", "/api/v1/users/" + std::to_string(user_id), {{"X-Request-ID", "rid-7"}}})
      .receive([&](outbound_result& r) { out = std::move(r); },
               [&](caf::error& e) { ADD_FAILURE() << caf::to_string(e); });
    return out;
  }

  breaker_state state() {
    caf::scoped_actor self{sys_};
    breaker_state s = breaker_state::closed;
    self->request(breaker_, 10s, breaker_status_atom::value)
      .receive([&](breaker_status& st) { s = st.state; }, [&](caf::error&) {});
    return s;
  }

  void TearDown() override { caf::anon_send_exit(breaker_, caf::exit_reason::user_shutdown); }

  caf::actor_system_config cfg_;
  caf::actor_system sys_{cfg_};
  std::shared_ptr<service_metrics> metrics_ = std::make_shared<service_metrics>("order-service");
  breaker_actor breaker_;
};

}  // namespace

TEST_F(BreakerActor, ItsSeriesExistAtZeroFromTheStart) {
  svc_test::fake_user_service users;
  spawn(users.url(), 2);
  EXPECT_EQ(state(), breaker_state::closed);
  const auto text = metrics_->render();
  const std::string labels = "service=\"order-service\",target=\"user-service\"";
  EXPECT_NE(text.find("circuit_breaker_state{" + labels + "} 0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("circuit_breaker_rejected_total{" + labels + "} 0\n"), std::string::npos)
    << text;
  for (auto [from, to] : {std::pair{"closed", "open"}, std::pair{"open", "half_open"},
                          std::pair{"half_open", "closed"}, std::pair{"half_open", "open"}})
    EXPECT_NE(
      text.find("circuit_breaker_transitions_total{from=\"" + std::string{from} +
                "\",service=\"order-service\",target=\"user-service\",to=\"" + to + "\"} 0\n"),
      std::string::npos)
      << from << " -> " << to << "\n"
      << text;
}

TEST_F(BreakerActor, AnswersPassThroughAndA404IsNotAFailure) {
  svc_test::fake_user_service users;
  spawn(users.url(), 1);
  auto found = call(1);
  EXPECT_EQ(found.result, outcome::answered);
  EXPECT_EQ(found.status, 200u);
  EXPECT_EQ(users.last_request_id(), "rid-7");  // the request id travels with the call
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(call(99).status, 404u);
  EXPECT_EQ(state(), breaker_state::closed);
}

TEST_F(BreakerActor, OpensOnConsecutiveFailuresAndThenRejectsWithoutCalling) {
  svc_test::fake_user_service users;
  users.behaviour = svc_test::fake_user_service::mode::fail;
  spawn(users.url(), 2, 60s);
  EXPECT_EQ(call(1).result, outcome::failed);  // a 5xx is a failure
  EXPECT_EQ(call(1).result, outcome::failed);
  EXPECT_EQ(state(), breaker_state::open);
  auto calls_before = users.calls.load();
  EXPECT_EQ(call(1).result, outcome::rejected);
  EXPECT_EQ(users.calls.load(), calls_before);  // not attempted at all
  auto text = metrics_->render();
  EXPECT_NE(text.find("circuit_breaker_state{service=\"order-service\",target=\"user-service\"} 2"),
            std::string::npos);
  EXPECT_NE(
    text.find(
      "circuit_breaker_rejected_total{service=\"order-service\",target=\"user-service\"} 1"),
    std::string::npos);
}

TEST_F(BreakerActor, RefusedConnectionsOpenItAndAHalfOpenProbeClosesIt) {
  svc_test::fake_user_service users;
  spawn(users.url(), 2, 300ms);
  users.stop();
  EXPECT_EQ(call(1).result, outcome::failed);
  EXPECT_EQ(call(1).result, outcome::failed);
  EXPECT_EQ(state(), breaker_state::open);
  EXPECT_EQ(call(1).result, outcome::rejected);
  users.start();  // the neighbour is back
  // After the open timeout the next call is a probe; it succeeds and closes the circuit.
  EXPECT_TRUE(
    svc_test::poll_until([&] { return call(1).result == outcome::answered; }, 2500ms, 50ms));
  EXPECT_EQ(state(), breaker_state::closed);
  auto text = metrics_->render();
  EXPECT_NE(text.find("from=\"half_open\""), std::string::npos);
}

TEST_F(BreakerActor, ShedsCallsBeyondItsLimitInFlightAtOnceWithoutCallingOrCountingAFailure) {
  svc_test::fake_user_service users;
  users.behaviour = svc_test::fake_user_service::mode::hang;
  spawn(users.url(), 5, 60s, 2);
  // Two calls hang in the neighbour until the client's 1 s timeout.
  std::vector<std::thread> hung;
  std::atomic<int> failed{0};
  for (int i = 0; i < 2; ++i)
    hung.emplace_back([&] {
      if (call(1).result == outcome::failed)
        ++failed;
    });
  ASSERT_TRUE(svc_test::poll_until([&] { return users.calls.load() == 2; }, 10s, 100ms));
  // A third is shed: answered at once, never sent, and not a breaker failure.
  EXPECT_EQ(call(1).result, outcome::shed);
  EXPECT_EQ(users.calls.load(), 2);
  EXPECT_EQ(state(), breaker_state::closed);
  auto text = metrics_->render();
  EXPECT_NE(
    text.find("outbound_calls_shed_total{service=\"order-service\",target=\"user-service\"} 1"),
    std::string::npos)
    << text;
  EXPECT_NE(
    text.find("outbound_calls_in_flight{service=\"order-service\",target=\"user-service\"} 2"),
    std::string::npos)
    << text;
  for (auto& t : hung)
    t.join();
  EXPECT_EQ(failed.load(), 2);  // the hung calls ended by the client's timeout
  // With the slots free again, calls go out again.
  users.behaviour = svc_test::fake_user_service::mode::answer;
  EXPECT_EQ(call(1).result, outcome::answered);
  EXPECT_EQ(users.calls.load(), 3);
}
