// user-service outage: SIGKILLed under a running order-service, then restarted on
// the same port and database. Orders keep being taken (user_check "pending"), the
// breaker opens and shows in /health and /metrics, closes again on recovery, and the
// orders taken meanwhile are checked again. Frozen (SIGSTOP): orders are answered
// within the validation budget, and checked again once it thaws.
#include <atomic>
#include <csignal>
#include <iostream>
#include <thread>
#include <vector>

#include "e2e/orders_fixture.hpp"

namespace e2e {
namespace {

using namespace std::chrono_literals;

class OrdersUserServiceOutage : public orders_suite {
protected:
  json health() {
    const auto h = orders().get("/health");
    EXPECT_EQ(h.status, 200u) << "an open breaker alone keeps order-service healthy: "
                              << describe(h);
    if (!is_json_body(h))
      return json::object();
    return h.json();
  }
  std::string breaker_in_health() {
    const auto j = health();
    if (!j.contains("circuit_breakers") || !j["circuit_breakers"].is_object())
      return "<no circuit_breakers in " + j.dump() + ">";
    return j["circuit_breakers"].value("user-service", "<missing>");
  }
  std::optional<double> metric(const std::string& name, std::map<std::string, std::string> labels) {
    const auto m = orders().get("/metrics");
    EXPECT_EQ(m.status, 200u) << describe(m);
    labels["service"] = "order-service";
    labels["target"] = "user-service";
    return metric_value(m.body, name, labels);
  }
};

TEST_F(OrdersUserServiceOutage, OrdersDegradeGracefullyAndRecoverAfterRestart) {
  const auto uid = create_user("steady");
  ASSERT_GT(uid, 0);
  const auto t = tag();
  auto order_body = [&](const std::string& phase, int n) {
    return json{{"user_id", uid},
                {"product_name", "Outage " + t + " " + phase + std::to_string(n)},
                {"quantity", 3},
                {"price", 0.1}};
  };

  // Before: validated, breaker closed.
  const auto before = create_order(order_body("before", 0));
  ASSERT_EQ(before.value("user_validated", false), true) << before.dump();
  EXPECT_EQ(breaker_in_health(), "closed");
  EXPECT_EQ(metric("circuit_breaker_state", {}), std::optional<double>{0.0});

  // user-service dies without a goodbye.
  kill_user_service();
  ASSERT_FALSE(user_service_running());

  // Every order is still taken; none can be validated. Enough calls to pass the
  // threshold (2) several times over.
  int outage_orders = 0;
  for (int i = 0; i < 3 * test_breaker_threshold + 2; ++i) {
    const auto r = orders().post("/api/v1/orders", order_body("down", i));
    ASSERT_EQ(r.status, 201u) << "order " << i
                              << " while user-service is down must still be created: "
                              << describe(r);
    EXPECT_EQ(r.json()["data"].value("user_validated", true), false) << r.body;
    ++outage_orders;
  }
  // An unknown user cannot be told from a known one now: taken, not validated.
  const auto ghost = orders().post("/api/v1/orders", {{"user_id", 987654321},
                                                      {"product_name", "Outage " + t + " ghost"},
                                                      {"quantity", 1},
                                                      {"price", 1}});
  EXPECT_EQ(ghost.status, 201u) << "graceful degradation also for an unverifiable user: "
                                << describe(ghost);
  if (ghost.status == 201) {
    EXPECT_EQ(ghost.json()["data"].value("user_validated", true), false) << ghost.body;
  }

  // The breaker is open, and says so; the service stays ok.
  const auto h = health();
  EXPECT_EQ(h.value("status", ""), "ok") << h.dump();
  EXPECT_EQ(h["checks"].value("database", ""), "ok") << h.dump();
  ASSERT_TRUE(h.contains("circuit_breakers")) << h.dump();
  EXPECT_EQ(h["circuit_breakers"].value("user-service", ""), "open") << h.dump();
  EXPECT_EQ(orders().get("/health/ready").status, 200u)
    << "an open breaker does not take traffic away";
  EXPECT_EQ(metric("circuit_breaker_state", {}), std::optional<double>{2.0}) << "open is 2";
  const auto opened = metric("circuit_breaker_transitions_total",
                             {{"from", "closed"}, {"to", "open"}});
  EXPECT_TRUE(opened && *opened >= 1.0) << "closed -> open transition counted";

  // Reads never needed user-service.
  const auto list = orders().get("/api/v1/orders?search=" + t);
  ASSERT_EQ(list.status, 200u) << describe(list);
  EXPECT_EQ(list.json()["meta"].value("total", -1),
            1 + outage_orders + (ghost.status == 201 ? 1 : 0))
    << list.body;
  const auto got = orders().get("/api/v1/orders/" + std::to_string(before.value("id", 0LL)));
  EXPECT_EQ(got.status, 200u) << describe(got);

  // user-service comes back on the same port, with the same data.
  ASSERT_NO_THROW(restart_user_service());
  {
    http_client fresh{user_port()};
    const auto u = fresh.get("/api/v1/users/" + std::to_string(uid));
    ASSERT_EQ(u.status, 200u) << "the restarted user-service has the same database: "
                              << describe(u);
  }

  // Within the open timeout plus a margin, orders are validated again. Every
  // attempt meanwhile is still a 201.
  const auto bound = std::chrono::seconds{test_breaker_open_seconds +
                                          3 * test_client_timeout_seconds + 5};
  int attempt = 0;
  reply last;
  bool failed = false;
  const bool recovered = poll_until(
    [&] {
      last = orders().post("/api/v1/orders", order_body("recovering", attempt++));
      if (last.status != 201) {
        failed = true;
        return true;
      }
      return last.json()["data"].value("user_validated", false);
    },
    bound, 250ms);
  ASSERT_FALSE(failed) << "an order failed during recovery: " << describe(last);
  ASSERT_TRUE(recovered) << "orders not validated again within " << bound.count() << " s ("
                         << attempt << " attempts); last: " << describe(last);

  EXPECT_EQ(breaker_in_health(), "closed");
  EXPECT_EQ(metric("circuit_breaker_state", {}), std::optional<double>{0.0}) << "closed again";
  const auto closed = metric("circuit_breaker_transitions_total",
                             {{"from", "half_open"}, {"to", "closed"}});
  EXPECT_TRUE(closed && *closed >= 1.0) << "half_open -> closed transition counted";

  // Validation is real again: an unknown user is refused.
  const auto unknown = orders().post("/api/v1/orders", {{"user_id", 987654321},
                                                        {"product_name", "Outage " + t + " after"},
                                                        {"quantity", 1},
                                                        {"price", 1}});
  EXPECT_TRUE(is_error(unknown, 400, "VALIDATION_ERROR"));
  EXPECT_EQ(detail_fields(unknown), (std::multiset<std::string>{"user_id"})) << describe(unknown);

  // Orders taken during the outage are kept, and the reconciler settles them now
  // that user-service answers: validated, and the ghost's user found missing.
  reply down;
  const bool settled = poll_until(
    [&] {
      down = orders().get("/api/v1/orders?page_size=100&search=" +
                          url_encode("Outage " + t + " down"));
      if (down.status != 200 || down.json()["meta"].value("total", -1) != outage_orders)
        return false;
      const auto listed = down.json();
      for (const auto& o : listed["data"])
        if (o.value("user_check", "") != "validated" || !o.value("user_validated", false))
          return false;
      return true;
    },
    30s, 500ms);
  EXPECT_TRUE(settled) << "orders taken during the outage were not all validated later: "
                       << describe(down);
  if (ghost.status == 201) {
    const auto ghost_path = "/api/v1/orders/" +
                            std::to_string(ghost.json()["data"].value("id", 0LL));
    reply g;
    EXPECT_TRUE(poll_until(
      [&] {
        g = orders().get(ghost_path);
        return g.status == 200 && g.json()["data"].value("user_check", "") == "user_not_found";
      },
      30s, 500ms))
      << describe(g);
    EXPECT_EQ(g.json()["data"].value("user_validated", true), false) << g.body;
  }
}

// A second outage in the same process: the breaker cycles again (no one-shot state).
TEST_F(OrdersUserServiceOutage, BreakerCyclesAgainOnASecondOutage) {
  const auto uid = create_user("again");
  ASSERT_GT(uid, 0);
  const auto t = tag();
  auto post = [&](int n) {
    return orders().post("/api/v1/orders",
                         {{"user_id", uid},
                          {"product_name", "Again " + t + " " + std::to_string(n)},
                          {"quantity", 1},
                          {"price", 1}});
  };
  const auto first = post(0);
  ASSERT_EQ(first.status, 201u) << describe(first);
  ASSERT_EQ(first.json()["data"].value("user_validated", false), true) << first.body;

  kill_user_service();
  for (int i = 1; i <= test_breaker_threshold + 2; ++i) {
    const auto r = post(i);
    ASSERT_EQ(r.status, 201u) << describe(r);
    EXPECT_EQ(r.json()["data"].value("user_validated", true), false) << r.body;
  }
  EXPECT_EQ(breaker_in_health(), "open");

  ASSERT_NO_THROW(restart_user_service());
  int n = 100;
  reply last;
  const bool recovered = poll_until(
    [&] {
      last = post(n++);
      return last.status == 201 && last.json()["data"].value("user_validated", false);
    },
    std::chrono::seconds{test_breaker_open_seconds + 3 * test_client_timeout_seconds + 5}, 250ms);
  ASSERT_TRUE(recovered) << "last: " << describe(last);
  EXPECT_EQ(breaker_in_health(), "closed");
}

// user-service frozen (SIGSTOP): the kernel still accepts connections, nothing
// answers. A second order-service, limited to 2 calls in flight with a long client
// timeout, a validation budget as long, and a breaker that will not open, holds two
// orders on their calls; the
// next order is taken at once, unvalidated, instead of joining them.
TEST_F(OrdersUserServiceOutage, AHungUserServiceHoldsAtMostTheLimitOfOrdersInFlight) {
  const auto uid = create_user("frozen");
  ASSERT_GT(uid, 0);
  auto limited = start_order_service("e2e_orders_hung_user_service", user_port(),
                                     {{"USER_SERVICE_MAX_IN_FLIGHT", "2"},
                                      {"HTTP_CLIENT_TIMEOUT", "60"},
                                      {"BREAKER_FAILURE_THRESHOLD", "100"},
                                      {"USER_VALIDATION_TIMEOUT", "60000"}});
  http_client client{limited.port};
  auto in_flight = [&] {
    return metric_value(client.get("/metrics").body, "outbound_calls_in_flight",
                        {{"service", "order-service"}, {"target", "user-service"}});
  };
  auto body = [&](const std::string& what) {
    return json{{"user_id", uid},
                {"product_name", "Frozen " + tag() + " " + what},
                {"quantity", 1},
                {"price", 1}};
  };

  std::atomic<int> held_answered{0};
  std::vector<reply> held(2);
  std::vector<std::thread> holders;
  const pid_t frozen = user_service().pid();
  ASSERT_EQ(::kill(frozen, SIGSTOP), 0);
  // Whatever fails below, user-service runs again and the holders end.
  struct resume_on_exit {
    pid_t pid;
    std::vector<std::thread>& threads;
    ~resume_on_exit() {
      ::kill(pid, SIGCONT);
      for (auto& t : threads)
        if (t.joinable())
          t.join();
    }
  } resume{frozen, holders};
  for (int i = 0; i < 2; ++i)
    holders.emplace_back([&, i] {
      try {
        http_client c{limited.port, std::chrono::seconds{60}};
        held[i] = c.post("/api/v1/orders", body("held " + std::to_string(i)));
      } catch (const std::exception& e) {
        ADD_FAILURE() << "held order " << i << ": " << e.what();
      }
      ++held_answered;
    });
  EXPECT_TRUE(
    poll_until([&] { return in_flight() == std::optional<double>{2.0}; }, std::chrono::seconds{20}))
    << "both orders should be waiting on the frozen user-service: " << in_flight().value_or(-1);

  // The limit is reached: this order is shed, taken without waiting for the held ones.
  reply shed;
  try {
    shed = client.post("/api/v1/orders", body("shed"));
  } catch (const std::exception& e) {
    ADD_FAILURE() << "the order beyond the limit was not answered: " << e.what();
  }
  EXPECT_EQ(held_answered.load(), 0)
    << "answered while both held orders still wait on user-service";
  ASSERT_EQ(shed.status, 201u) << describe(shed);
  EXPECT_EQ(shed.json()["data"].value("user_validated", true), false) << shed.body;
  const auto metrics = client.get("/metrics").body;
  EXPECT_GE(metric_value(metrics, "outbound_calls_shed_total",
                         {{"service", "order-service"}, {"target", "user-service"}})
              .value_or(0),
            1.0);
  EXPECT_EQ(metric_value(metrics, "circuit_breaker_state",
                         {{"service", "order-service"}, {"target", "user-service"}}),
            std::optional<double>{0.0})
    << "shedding is not a failure of user-service";

  // user-service wakes up: the held orders get their answer and are validated.
  ASSERT_EQ(::kill(frozen, SIGCONT), 0);
  for (auto& t : holders)
    t.join();
  for (const auto& r : held) {
    ASSERT_EQ(r.status, 201u) << describe(r);
    EXPECT_EQ(r.json()["data"].value("user_validated", false), true) << r.body;
  }
  EXPECT_EQ(in_flight(), std::optional<double>{0.0});
}

// user-service frozen (SIGSTOP) under a few clients: with a client timeout far
// above the validation budget, every order is still answered on the budget, as
// "pending"; once user-service thaws (SIGCONT) the reconciler validates them all,
// and finds the missing user missing.
TEST_F(OrdersUserServiceOutage, OrdersWaitOnlyTheValidationBudgetAndAreCheckedAgainAfterAFreeze) {
  const auto uid = create_user("thawed");
  ASSERT_GT(uid, 0);
  auto budgeted = start_order_service(
    "e2e_orders_validation_budget", user_port(),
    {{"USER_VALIDATION_TIMEOUT", "300"}, {"HTTP_CLIENT_TIMEOUT", "60"}});
  const auto t = tag();
  const pid_t frozen = user_service().pid();
  ASSERT_EQ(::kill(frozen, SIGSTOP), 0);
  struct resume_on_exit {
    pid_t pid;
    ~resume_on_exit() { ::kill(pid, SIGCONT); }
  } resume{frozen};

  constexpr int clients = 3, per_client = 2;
  std::vector<std::vector<reply>> answers(clients);
  std::vector<long long> slowest_ms(clients, 0);
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c)
    threads.emplace_back([&, c] {
      http_client client{budgeted.port, std::chrono::seconds{60}};
      for (int i = 0; i < per_client; ++i) {
        const auto user = c == 0 && i == 0 ? 987654321LL
                                           : static_cast<long long>(uid);  // one ghost
        const auto start = std::chrono::steady_clock::now();
        answers[c].push_back(client.post(
          "/api/v1/orders", {{"user_id", user},
                             {"product_name", "Frozen " + t + " " + std::to_string(c * 10 + i)},
                             {"quantity", 1},
                             {"price", 1}}));
        slowest_ms[c] = std::max<long long>(slowest_ms[c],
                                            std::chrono::duration_cast<std::chrono::milliseconds>(
                                              std::chrono::steady_clock::now() - start)
                                              .count());
      }
    });
  for (auto& th : threads)
    th.join();
  std::vector<std::pair<long long, bool>> taken;  // order id, whether its user exists
  for (int c = 0; c < clients; ++c)
    for (std::size_t i = 0; i < answers[c].size(); ++i) {
      const auto& r = answers[c][i];
      ASSERT_EQ(r.status, 201u) << describe(r);
      const auto o = r.json()["data"];
      EXPECT_TRUE(is_order(o));
      EXPECT_EQ(o.value("user_check", ""), "pending") << o.dump();
      taken.emplace_back(o.value("id", 0LL), !(c == 0 && i == 0));
    }
  // Not a performance bound: the 60 s client timeout is what an order would wait
  // without the budget.
  for (int c = 0; c < clients; ++c)
    EXPECT_LT(slowest_ms[c], 20000)
      << "an order waited for the frozen user-service, not the 300 ms budget";

  ASSERT_EQ(::kill(frozen, SIGCONT), 0);
  http_client client{budgeted.port};
  for (const auto& [id, exists] : taken) {
    const auto path = "/api/v1/orders/" + std::to_string(id);
    reply now;
    EXPECT_TRUE(poll_until(
      [&] {
        now = client.get(path);
        return now.status == 200 && now.json()["data"].value("user_check", "") != "pending";
      },
      60s, 250ms))
      << "order " << id << " still pending after user-service thawed: " << describe(now);
    EXPECT_EQ(now.json()["data"].value("user_check", ""), exists ? "validated" : "user_not_found")
      << now.body;
    EXPECT_EQ(now.json()["data"].value("user_validated", !exists), exists) << now.body;
  }
  const auto metrics = client.get("/metrics").body;
  EXPECT_EQ(metric_value(metrics, "orders_user_check_reconciled_total",
                         {{"service", "order-service"}, {"outcome", "validated"}}),
            std::optional<double>{clients * per_client - 1.0});
  EXPECT_EQ(metric_value(metrics, "orders_user_check_reconciled_total",
                         {{"service", "order-service"}, {"outcome", "user_not_found"}}),
            std::optional<double>{1.0});
}

}  // namespace
}  // namespace e2e
