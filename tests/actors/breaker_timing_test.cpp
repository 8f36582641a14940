// The breaker actor's timing on the deterministic scheduler (manual_time.hpp):
// open after consecutive failures, no call at all until BREAKER_OPEN_TIMEOUT has
// passed since the failure that opened it, then one probe, whose outcome closes
// or reopens it. Calls go to a stand-in transport that the test answers.
#include <functional>
#include <string>
#include <vector>

#include "actors/breaker_actor.hpp"
#include "manual_time.hpp"

using namespace svc;
using namespace std::chrono_literals;
using outcome = outbound_result::outcome;

namespace {

class BreakerTiming : public svc_test::ManualTime {
protected:
  // A call the stand-in transport holds until the test answers it.
  struct sent_call {
    std::string target;
    http::client_callback done;
  };

  breaker_actor spawn(int threshold, std::chrono::milliseconds open_timeout) {
    breaker_config cfg;
    cfg.target_name = "user-service";
    cfg.base = http::base_url::parse("http://user-service.invalid:8081").value();
    cfg.settings = {threshold, open_timeout, 1};
    cfg.metrics = metrics_;
    cfg.transport = [sent = sent_](const std::string&, const http::base_url&,
                                   const std::string& target, const std::vector<http::header>&,
                                   http::client_callback done) {
      sent->push_back({target, std::move(done)});
    };
    return keep(spawn_breaker(sys_, std::move(cfg)));
  }

  std::shared_ptr<svc_test::answer<outbound_result>> call(const breaker_actor& b) {
    return ask<outbound_result>(b, call_atom::value, outbound_call{"GET", "/api/v1/users/1", {}});
  }

  // The oldest call still unanswered is answered (on the test's thread, as the
  // HTTP client's thread would), then the actors run.
  void answer_next(http::client_result r) {
    ASSERT_FALSE(sent_->empty());
    auto done = std::move(sent_->front().done);
    sent_->erase(sent_->begin());
    done(std::move(r));
    run();
  }

  static http::client_result refused() {
    http::client_result r;
    r.result = http::client_result::outcome::connect_failed;
    r.error = "connection refused";
    return r;
  }

  static http::client_result ok() {
    http::client_result r;
    r.result = http::client_result::outcome::response;
    r.status = 200;
    return r;
  }

  breaker_state state(const breaker_actor& b) {
    return ask_now<breaker_status>(b, breaker_status_atom::value).state;
  }

  // A call made now that the breaker answers at once, without calling out.
  void expect_rejected(const breaker_actor& b) {
    const auto before = sent_->size();
    auto r = call(b);
    run();
    ASSERT_TRUE(r->value);
    EXPECT_EQ(r->value->result, outcome::rejected);
    EXPECT_EQ(sent_->size(), before) << "a rejected call must not go out";
  }

  // A call made now that goes out (the probe, or any call of a closed circuit).
  std::shared_ptr<svc_test::answer<outbound_result>> expect_sent(const breaker_actor& b) {
    const auto before = sent_->size();
    auto r = call(b);
    run();
    EXPECT_FALSE(r->arrived()) << "answered before the neighbour was";
    EXPECT_EQ(sent_->size(), before + 1) << "the call did not go out";
    return r;
  }

  std::shared_ptr<std::vector<sent_call>> sent_ = std::make_shared<std::vector<sent_call>>();
  std::shared_ptr<service_metrics> metrics_ = std::make_shared<service_metrics>("order-service");
};

}  // namespace

TEST_F(BreakerTiming, OpensOnTheThresholdAndProbesOnceTheOpenTimeoutHasPassed) {
  auto b = spawn(2, 30s);
  auto first = expect_sent(b);
  auto second = expect_sent(b);
  answer_next(refused());
  EXPECT_EQ(state(b), breaker_state::closed) << "one failure of two";
  answer_next(refused());
  ASSERT_EQ(first->value->result, outcome::failed);
  ASSERT_EQ(second->value->result, outcome::failed);
  EXPECT_EQ(state(b), breaker_state::open);

  // Open: every call is answered at once, up to the last instant of the timeout.
  expect_rejected(b);
  advance(29s);
  expect_rejected(b);
  advance(999ms);
  expect_rejected(b);
  EXPECT_EQ(state(b), breaker_state::open);

  // At the timeout: the next call goes out as the probe (half-open), and
  // while it runs the others are still rejected (one probe at a time).
  advance(1ms);
  auto probe = expect_sent(b);
  EXPECT_EQ(state(b), breaker_state::half_open);
  expect_rejected(b);
  advance(10s);  // a slow probe holds the circuit half-open, however long it takes
  expect_rejected(b);
  answer_next(ok());
  ASSERT_TRUE(probe->value);
  EXPECT_EQ(probe->value->result, outcome::answered);
  EXPECT_EQ(state(b), breaker_state::closed);
  auto next = expect_sent(b);  // closed: calls go out again
  answer_next(ok());
  EXPECT_EQ(next->value->result, outcome::answered);

  const auto text = metrics_->render();
  for (const auto* transition :
       {"from=\"closed\",service=\"order-service\",target=\"user-service\","
        "to=\"open\"} 1",
        "from=\"open\",service=\"order-service\",target=\"user-service\","
        "to=\"half_open\"} 1",
        "from=\"half_open\",service=\"order-service\",target=\"user-"
        "service\",to=\"closed\"} 1"})
    EXPECT_NE(text.find(transition), std::string::npos) << transition << "\n" << text;
}

TEST_F(BreakerTiming, TheOpenTimeoutCountsFromTheFailureThatOpenedIt) {
  auto b = spawn(1, 30s);
  expect_sent(b);
  advance(10s);  // the neighbour takes 10 s to fail
  answer_next(refused());
  EXPECT_EQ(state(b), breaker_state::open);
  advance(29s);  // 39 s after the call, 29 s after the failure
  expect_rejected(b);
  advance(1s);
  expect_sent(b);
  EXPECT_EQ(state(b), breaker_state::half_open);
}

TEST_F(BreakerTiming, AFailedProbeReopensForAnotherFullTimeout) {
  auto b = spawn(1, 5s);
  expect_sent(b);
  answer_next(refused());
  advance(5s);
  auto probe = expect_sent(b);
  advance(2s);
  answer_next(refused());
  EXPECT_EQ(probe->value->result, outcome::failed);
  EXPECT_EQ(state(b), breaker_state::open);
  // Reopened at the probe's failure (7 s): rejected until 12 s.
  advance(4999ms);
  expect_rejected(b);
  advance(1ms);
  auto second_probe = expect_sent(b);
  answer_next(ok());
  EXPECT_EQ(second_probe->value->result, outcome::answered);
  EXPECT_EQ(state(b), breaker_state::closed);
}

TEST_F(BreakerTiming, AFailureOfACallMadeBeforeTheCircuitOpenedDoesNotReopenIt) {
  // Two calls go out while closed; the first failure opens the circuit. The
  // probe closes it; the second call's failure, arriving late, belongs to the
  // circuit before and must not open the closed one again.
  auto b = spawn(1, 5s);
  expect_sent(b);
  auto late = expect_sent(b);
  answer_next(refused());
  EXPECT_EQ(state(b), breaker_state::open);
  advance(5s);
  expect_sent(b);  // the probe, now behind the late call
  ASSERT_EQ(sent_->size(), 2u);
  auto late_done = std::move(sent_->front().done);
  sent_->erase(sent_->begin());
  answer_next(ok());  // the probe succeeds
  EXPECT_EQ(state(b), breaker_state::closed);
  late_done(refused());
  run();
  EXPECT_EQ(late->value->result, outcome::failed);
  EXPECT_EQ(state(b), breaker_state::closed);
}
