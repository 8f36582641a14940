// The service's Prometheus metrics (names and labels as the contract lists them),
// rendered in the text exposition format for GET /metrics. Thread-safe: actors
// and I/O threads record into it directly. prometheus-cpp stays in the .cpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace svc {

class service_metrics {
public:
  explicit service_metrics(std::string service);
  ~service_metrics();
  service_metrics(const service_metrics&) = delete;
  service_metrics& operator=(const service_metrics&) = delete;

  // HTTP: `route` is the route template (never a raw path).
  void request_started();
  void request_finished(std::string_view method, std::string_view route, unsigned status,
                        double seconds);
  void app_error(std::string_view code);
  // Counts each of `codes` from 0 (app_errors_total), so that a rate or an alert
  // over a code has its series before the first such error.
  void declare_error_codes(const std::vector<std::string_view>& codes);
  void rate_limited();
  // Shared rate limit buckets (RATE_LIMIT_BACKEND=redis): whether Redis is in use
  // (rate_limit_backend_up), and a check the local bucket decided because it was
  // not (rate_limit_backend_fallback_total). Both series appear with the first
  // call, so a service with local buckets exports neither.
  void rate_limit_backend_up(bool up);
  void rate_limit_fallback();

  // Circuit breakers, by target service; state as the gauge's number
  // (0 closed, 1 half-open, 2 open).
  // declare_breaker: its series from the start, at 0: the state (closed), the
  // rejections, and each transition in `transitions` ({from, to}).
  void declare_breaker(
    std::string_view target,
    const std::vector<std::pair<std::string_view, std::string_view>>& transitions);
  void breaker_state(std::string_view target, int state);
  void breaker_transition(std::string_view target, std::string_view from, std::string_view to);
  void breaker_rejected(std::string_view target);
  // Calls to a neighbour running now, and one not attempted because that many
  // were running already (its limit).
  void outbound_calls_in_flight(std::string_view target, std::size_t calls);
  void outbound_call_shed(std::string_view target);

  // Orders taken unvalidated and settled by the reconciler: outcome "validated"
  // or "user_not_found".
  void user_check_reconciled(std::string_view outcome, std::int64_t orders);

  // The DB pool. `most`: the connections it may hold (DB_POOL_MAX transaction
  // connections and its pipelined ones), beside pool_connections' idle + in use.
  // database_up: whether the pool sees its database answer (db_up).
  void pool_connections(std::size_t idle, std::size_t in_use);
  void pool_limit(std::size_t most);
  void pool_wait(double seconds);
  void pool_acquire_timed_out();
  void database_up(bool up);
  void query_duration(std::string_view operation, double seconds);

  // Every metric, with the standard process metrics, in Prometheus text format.
  std::string render() const;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace svc
