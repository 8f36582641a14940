// order-service with the REAL user-service behind it (e2e::orders_suite: breaker
// threshold 2, open 2 s, client timeout 2 s): conflicting order updates, hostile
// query and body content, and user-service SIGKILLed and restarted under a
// steady order load. (The sequential outage: tests/e2e/orders_outage_test.cpp.)
#include <atomic>
#include <iostream>
#include <mutex>
#include <sstream>
#include <thread>

#include "e2e/orders_fixture.hpp"
#include "reliability/reliability_fixture.hpp"

namespace reliability {
namespace {

using clock_type = std::chrono::steady_clock;
using e2e::describe;
using e2e::is_error;

class ReliabilityOrders : public e2e::orders_suite {
protected:
  std::string breaker() {
    reply h;
    try {
      h = orders().get("/health");
    } catch (const std::exception& e) {
      return std::string{"<"} + e.what() + ">";
    }
    if (!e2e::is_json_body(h))
      return "<no JSON from /health: " + describe(h) + ">";
    return h.json().value("circuit_breakers", json::object()).value("user-service", "<missing>");
  }
  double transitions(const std::string& from, const std::string& to) {
    reply m;
    try {
      m = orders().get("/metrics");
    } catch (const std::exception&) {
      return -1;  // no answer: the caller's poll or check fails
    }
    return e2e::metric_value(
             m.body, "circuit_breaker_transitions_total",
             {{"service", "order-service"}, {"target", "user-service"}, {"from", from}, {"to", to}})
      .value_or(0.0);
  }
};

TEST_F(ReliabilityOrders, SameIfMatchAtOnceLetsExactlyOneOrderUpdateWin) {
  const auto uid = create_user("contested");
  ASSERT_GT(uid, 0);
  const auto order = create_order(
    {{"user_id", uid}, {"product_name", "Contested " + tag()}, {"quantity", 1}, {"price", 2}});
  ASSERT_TRUE(order.contains("id"));
  const auto item = "/api/v1/orders/" + std::to_string(order["id"].get<long long>());
  const auto etag = orders().get(item).header("etag");
  ASSERT_FALSE(etag.empty());
  // Every racer changes the order (quantity 1 is the current one): a PUT of the
  // current values changes nothing and keeps the version, so it would win beside
  // the one real update when it runs first.
  const auto results = race(order_port(), 8, [&](int i, svc_test::http_client& c) {
    return c.put(item, {{"quantity", i + 2}}, {{"If-Match", etag}});
  });
  int won = -1, lost = 0;
  for (std::size_t i = 0; i < results.size(); ++i) {
    EXPECT_TRUE(results[i].error.empty()) << results[i].error;
    if (results[i].response.status == 200)
      won = won == -1 ? static_cast<int>(i) : -2;
    else if (is_error(results[i].response, 412, "PRECONDITION_FAILED"))
      ++lost;
  }
  ASSERT_GE(won, 0) << "exactly one update must win (-2: more than one)";
  EXPECT_EQ(lost, 7);
  const auto now = orders().get(item).json()["data"];
  EXPECT_EQ(now.value("quantity", 0), won + 2);
  EXPECT_TRUE(
    e2e::has_exact_number(orders().get(item).body, "total_amount", std::to_string(2 * (won + 2))));
}

TEST_F(ReliabilityOrders, HostileSearchAndBodyTypesAre400) {
  for (const std::string bytes : {"\xC3\x28", "\xFF", "\xED\xA0\x80", "\xC0\xAF"}) {
    const auto r = orders().get("/api/v1/orders?search=" + svc_test::url_encode("a" + bytes));
    EXPECT_TRUE(is_error(r, 400, "VALIDATION_ERROR")) << "invalid UTF-8 in search";
    EXPECT_EQ(e2e::detail_fields(r), (std::multiset<std::string>{"search"})) << describe(r);
  }
  EXPECT_EQ(orders()
              .get("/api/v1/orders?search=" + svc_test::url_encode("' OR 1=1 --"))
              .json()["meta"]["total"],
            0);
  const auto uid = create_user("typed");
  ASSERT_GT(uid, 0);
  const auto t = tag();
  const auto u = std::to_string(uid);
  const std::vector<std::pair<std::string, const char*>> cases = {
    {R"({"user_id": )" + u + R"(, "product_name": "P )" + t +
       R"(", "quantity": 1, "price": {"amount": 1}})",
     "price"},
    {R"({"user_id": )" + u + R"(, "product_name": "P )" + t + R"(", "quantity": 1, "price": [1]})",
     "price"},
    {R"({"user_id": )" + u + R"(, "product_name": "P )" + t + R"(", "quantity": 1, "price": true})",
     "price"},
    {R"({"user_id": )" + u + R"(, "product_name": "P )" + t +
       R"(", "quantity": 1, "price": 1e999})",
     "price"},
    {R"({"user_id": )" + u + R"(, "product_name": "P )" + t + R"(", "quantity": [1], "price": 1})",
     "quantity"},
    {R"({"user_id": true, "product_name": "P )" + t + R"(", "quantity": 1, "price": 1})",
     "user_id"},
    {R"({"user_id": 1.5, "product_name": "P )" + t + R"(", "quantity": 1, "price": 1})", "user_id"},
    {R"({"user_id": 99999999999999999999, "product_name": "P )" + t +
       R"(", "quantity": 1, "price": 1})",
     "user_id"},
    {R"({"user_id": )" + u + R"(, "product_name": ["P"], "quantity": 1, "price": 1})",
     "product_name"},
    {R"({"user_id": )" + u + R"(, "product_name": "P )" + t +
       R"(", "quantity": 1, "price": 1, "status": 3})",
     "status"},
  };
  for (const auto& [body, field] : cases) {
    const auto r = post_order_text(body);
    // 1e999 overflows the JSON number parser itself: a BAD_REQUEST is as clear.
    EXPECT_TRUE(is_error(r, 400, "VALIDATION_ERROR") || is_error(r, 400, "BAD_REQUEST")) << body;
    if (is_error(r, 400, "VALIDATION_ERROR")) {
      EXPECT_EQ(e2e::detail_fields(r), (std::multiset<std::string>{field}))
        << body << " -> " << describe(r);
    }
  }
  EXPECT_EQ(orders().get("/api/v1/orders?search=" + t).json()["meta"]["total"], 0);
}

struct order_outcome {
  unsigned status = 0;
  bool validated = false;
  long long latency_ms = 0;
  clock_type::time_point done;
  std::string error;
};

TEST_F(ReliabilityOrders, UserServiceKilledUnderSteadyLoadNoOrderFails) {
  const auto uid = create_user("steady");
  ASSERT_GT(uid, 0);
  const auto t = tag();
  std::mutex mutex;
  std::vector<order_outcome> outcomes;
  load_threads load;  // declared after what the threads use: joined first
  auto& stop = load.stop;
  for (int w = 0; w < 3; ++w)
    load.threads.emplace_back([&, w] {
      svc_test::http_client c{order_port(), std::chrono::seconds{20}};
      for (int i = 0; !stop; ++i) {
        order_outcome o;
        const auto product = "Steady " + t + " " + std::to_string(w) + "-" + std::to_string(i);
        const auto start = clock_type::now();
        try {
          const auto r = c.post(
            "/api/v1/orders",
            {{"user_id", uid}, {"product_name", product}, {"quantity", 1}, {"price", 1}});
          o.status = r.status;
          o.validated = r.status == 201 && r.json()["data"].value("user_validated", false);
        } catch (const std::exception& e) {
          o.error = e.what();
        }
        o.done = clock_type::now();
        o.latency_ms =
          std::chrono::duration_cast<std::chrono::milliseconds>(o.done - start).count();
        {
          std::lock_guard lock{mutex};
          outcomes.push_back(o);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds{25});  // a steady rate, not a flood
      }
    });
  auto validated_after = [&](clock_type::time_point since) {
    std::lock_guard lock{mutex};
    int n = 0;
    for (const auto& o : outcomes)
      n += o.validated && o.done > since ? 1 : 0;
    return n;
  };
  const auto began = clock_type::now();
  EXPECT_TRUE(svc_test::poll_until([&] { return validated_after(began) >= 10; },
                                   std::chrono::seconds{10}, 20ms));

  // Open timeout, a probe that may wait out the client timeout, and a margin.
  const auto breaker_bound = std::chrono::seconds{e2e::test_breaker_open_seconds +
                                                  2 * e2e::test_client_timeout_seconds + 5};
  const auto killed = clock_type::now();
  kill_user_service();
  EXPECT_TRUE(
    svc_test::poll_until([&] { return breaker() == "open"; }, std::chrono::seconds{10}, 20ms));
  const auto opened_ms = ms_since(killed);
  // Still down when the open timeout ends: the half-open probe fails, the breaker reopens.
  EXPECT_TRUE(svc_test::poll_until([&] { return transitions("half_open", "open") >= 1; },
                                   breaker_bound, 50ms));
  const auto down_ms = ms_since(killed);

  ASSERT_NO_THROW(restart_user_service());
  const auto restarted = clock_type::now();
  EXPECT_TRUE(
    svc_test::poll_until([&] { return validated_after(restarted) >= 1; }, breaker_bound, 20ms));
  const auto closed_ms = ms_since(restarted);
  EXPECT_EQ(breaker(), "closed");
  EXPECT_TRUE(svc_test::poll_until([&] { return validated_after(restarted) >= 10; },
                                   std::chrono::seconds{10}, 20ms));
  load.join();

  int created = 0, unvalidated = 0;
  long long slowest = 0;
  for (const auto& o : outcomes) {
    EXPECT_TRUE(o.error.empty()) << "an order request failed in transport: " << o.error;
    EXPECT_EQ(o.status, 201u) << "an order request failed";
    created += o.status == 201 ? 1 : 0;
    unvalidated += o.status == 201 && !o.validated ? 1 : 0;
    slowest = std::max(slowest, o.latency_ms);
  }
  EXPECT_GT(unvalidated, 0) << "the outage was seen";
  EXPECT_LE(slowest, (e2e::test_client_timeout_seconds + 2) * 1000)
    << "no order waited past the client timeout";
  EXPECT_EQ(orders()
              .get("/api/v1/orders?search=" + svc_test::url_encode("Steady " + t))
              .json()["meta"]
              .value("total", -1),
            created)
    << "every 201 is stored";

  // The breaker moved as configured: open, a failed probe after the open timeout,
  // then closed by a successful probe; calls were short-circuited while open.
  EXPECT_GE(transitions("closed", "open"), 1.0);
  EXPECT_GE(transitions("open", "half_open"), 2.0);
  EXPECT_GE(transitions("half_open", "open"), 1.0);
  EXPECT_GE(transitions("half_open", "closed"), 1.0);
  const auto rejected = e2e::metric_value(
    orders().get("/metrics").body, "circuit_breaker_rejected_total",
    {{"service", "order-service"}, {"target", "user-service"}});
  EXPECT_TRUE(rejected && *rejected > 0) << "calls are rejected without a try while open";
  // From the service's own log: each open phase lasts at least BREAKER_OPEN_TIMEOUT.
  std::optional<long long> opened_at;
  long long shortest_open = -1;
  std::istringstream log{order_service().log_text()};
  for (std::string line; std::getline(log, line);) {
    if (line.find("circuit breaker changed state") == std::string::npos)
      continue;
    const auto j = json::parse(line, nullptr, false);
    const auto at = log_time_ms(j.value("time", ""));
    ASSERT_TRUE(at.has_value()) << line;
    if (j.value("to", "") == "open")
      opened_at = at;
    if (j.value("from", "") == "open" && opened_at) {
      const auto open_for = *at - *opened_at;
      shortest_open = shortest_open < 0 ? open_for : std::min(shortest_open, open_for);
    }
  }
  // 50 ms of slack: the log stamps a transition a little after the breaker's own clock read.
  EXPECT_GE(shortest_open, e2e::test_breaker_open_seconds * 1000 - 50)
    << "the breaker half-opened early";
  std::cerr << "reliability: user-service killed under " << created << " orders (" << unvalidated
            << " taken unvalidated, 0 failed, slowest " << slowest << " ms); breaker open "
            << opened_ms << " ms after the kill, probe failed by " << down_ms << " ms, closed "
            << closed_ms << " ms after the restart; shortest open phase " << shortest_open
            << " ms (BREAKER_OPEN_TIMEOUT " << e2e::test_breaker_open_seconds << " s)\n";
}

}  // namespace
}  // namespace reliability
