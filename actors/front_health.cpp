#include "actors/front_health.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <nlohmann/json.hpp>

namespace svc {

// Collects one health report: the database check, then each breaker's state.
struct health_report {
  std::shared_ptr<front_context> ctx;
  bool readiness;
  finisher finish;
  bool database_ok = false;
  nlohmann::json breakers = nlohmann::json::object();

  void send() const {
    bool ok = database_ok && !(readiness && ctx->live.draining.load());
    nlohmann::json body{{"status", ok ? "ok" : "unavailable"},
                        {"service", ctx->service_name},
                        {"checks", {{"database", database_ok ? "ok" : "unavailable"}}}};
    if (readiness && ctx->live.draining.load())
      body["reason"] = "draining";
    // An open breaker degrades the service but does not make it unhealthy.
    if (!ctx->breakers.empty())
      body["circuit_breakers"] = breakers;
    http::response resp;
    resp.status = ok ? 200 : 503;
    resp.body = body.dump();
    finish(std::move(resp));
  }
};

namespace {

void collect_breakers(front_actor::pointer self, std::shared_ptr<health_report> report,
                      std::size_t index) {
  const auto& breakers = report->ctx->breakers;
  if (index == breakers.size()) {
    report->send();
    return;
  }
  const auto& [name, breaker] = breakers[index];
  self->request(breaker, std::chrono::seconds{5}, breaker_status_atom::value)
    .then(
      [=](breaker_status& st) {
        shielded(report->finish, [&] {
          report->breakers[report->ctx->breakers[index].first] = to_string(st.state);
          collect_breakers(self, report, index + 1);
        });
      },
      [=](caf::error&) {
        shielded(report->finish, [&] {
          report->breakers[report->ctx->breakers[index].first] = "unknown";
          collect_breakers(self, report, index + 1);
        });
      });
}

// Runs one health check in the front actor `self`: the database, then the breakers.
//
// The database check pings through the pool, except that readiness does not
// queue behind a saturated pool: every connection busy is load, not a dead
// database, and a probe that then timed out on every replica at once would take
// them all out of the load balancer and turn load into an outage. A saturated
// pool's own view (its tasks succeed, or it has seen the database go) answers.
void start_checks(front_actor::pointer self, const std::shared_ptr<health_report>& report) {
  auto after_ping = [self, report](bool database_ok) {
    report->database_ok = database_ok;
    shielded(report->finish, [&] { collect_breakers(self, report, 0); });
  };
  // The check runs where a read runs: on the pool's pipelined connections.
  // Bounded (health_database_timeout), unlike a request's queries: probes come
  // a few times a second at most, so the clock entry a timeout costs in CAF 0.17
  // (db_pool_actor.hpp: run_db_task) does not add up.
  auto ping = [self, report, after_ping] {
    self
      ->request(report->ctx->pool, health_database_timeout, query_atom::value,
                db_query{quick_read({{}, "SELECT 1", {}}), "health.ping", report->finish.scope()})
      .then([after_ping](pg_rows&) { after_ping(true); },
            [after_ping](caf::error&) { after_ping(false); });
  };
  if (!report->readiness) {
    ping();
    return;
  }
  self->request(report->ctx->pool, std::chrono::seconds{5}, pool_status_atom::value)
    .then(
      [ping, after_ping](db_pool_status& status) {
        if (status.saturated)
          after_ping(status.database_up);
        else
          ping();
      },
      [after_ping](caf::error&) { after_ping(false); });
}

}  // namespace

void run_health_check(front_actor::pointer self, std::shared_ptr<health_report> report) {
  shielded(report->finish, [&] { start_checks(self, report); });
}

// Readiness while draining runs the checks too: it is 503 for the drain, and
// what it says of the database stays true (the actors outlive the listeners).
void check_health(const front_actor& front, const std::shared_ptr<front_context>& ctx,
                  bool readiness, finisher finish) {
  caf::anon_send(front,
                 std::make_shared<health_report>(health_report{ctx, readiness, std::move(finish)}));
}

}  // namespace svc
