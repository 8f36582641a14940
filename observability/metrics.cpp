#include "observability/metrics.hpp"

#include <algorithm>
#include <array>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/metric_family.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include "observability/process_collector.hpp"

namespace svc {
namespace {

using prometheus::Labels;

// Latency buckets from 0.5 ms to 10 s: the API's answers live at the low end,
// timeouts at the high end.
const prometheus::Histogram::BucketBoundaries latency_buckets{
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

// The children of a labelled family, looked up once and then reused.
// prometheus-cpp's Family::Add builds a label map, hashes it and takes the
// family's lock on every call: most of the cost of recording a request, and
// the same few label sets every time. Children are never removed, so the
// pointers stay valid.
template <class Metric>
class child_cache {
public:
  template <class Make>
  Metric& get(const std::string& key, Make make) {
    {
      std::shared_lock lock{mutex_};
      if (auto it = children_.find(key); it != children_.end())
        return *it->second;
    }
    std::unique_lock lock{mutex_};
    auto [it, inserted] = children_.try_emplace(key, nullptr);
    if (inserted)
      it->second = &make();
    return *it->second;
  }

private:
  std::shared_mutex mutex_;
  std::unordered_map<std::string, Metric*> children_;
};

// The child of `family` labelled {service, label=value}, found in `cache` after the
// first time: no label map is built and no allocation made per update.
template <class Metric>
Metric& child_by_label(child_cache<Metric>& cache, prometheus::Family<Metric>& family,
                       const std::string& service, const char* label, std::string_view value) {
  thread_local std::string key;
  key.assign(value);
  return cache.get(key, [&]() -> Metric& {
    return family.Add({{"service", service}, {label, key}});
  });
}

// A label holds one of the methods the API knows, or OTHER: a client must not be
// able to create a new time series per made-up method.
std::string_view method_label(std::string_view method) {
  static constexpr std::array<std::string_view, 7> known{"GET",    "HEAD",    "POST", "PUT",
                                                         "DELETE", "OPTIONS", "PATCH"};
  for (auto m : known)
    if (m == method)
      return m;
  return "OTHER";
}

}  // namespace

struct service_metrics::impl {
  std::string service;
  std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();
  // The contract's families (API.md, "Metrics"), listed by render() even before
  // their first series: prometheus-cpp leaves out a family with none, and a
  // dashboard or a check of the contract's names would not find it.
  std::vector<prometheus::MetricFamily> contract_families;

  template <class Metric>
  prometheus::Family<Metric>& contract_family(prometheus::detail::Builder<Metric> builder,
                                              const char* name, const char* help,
                                              prometheus::MetricType type) {
    contract_families.push_back({name, help, type, {}});
    return builder.Name(name).Help(help).Register(*registry);
  }

  prometheus::Family<prometheus::Gauge>& build_info =
    prometheus::BuildGauge()
      .Name("service_build_info")
      .Help("Always 1; its labels say which service and version runs.")
      .Register(*registry);
  prometheus::Family<prometheus::Counter>& requests = contract_family(
    prometheus::BuildCounter(), "http_requests_total", "HTTP requests answered.",
    prometheus::MetricType::Counter);
  prometheus::Family<prometheus::Histogram>& durations = contract_family(
    prometheus::BuildHistogram(), "http_request_duration_seconds",
    "Time from a complete request to its response.", prometheus::MetricType::Histogram);
  prometheus::Family<prometheus::Gauge>& in_flight = prometheus::BuildGauge()
                                                       .Name("http_requests_in_flight")
                                                       .Help("Requests being handled.")
                                                       .Register(*registry);
  prometheus::Family<prometheus::Counter>& errors = contract_family(
    prometheus::BuildCounter(), "app_errors_total", "Error responses by error code.",
    prometheus::MetricType::Counter);
  prometheus::Family<prometheus::Counter>& limited =
    prometheus::BuildCounter()
      .Name("rate_limit_rejected_total")
      .Help("Requests refused by the per-IP rate limit.")
      .Register(*registry);
  prometheus::Family<prometheus::Gauge>& backend_up =
    prometheus::BuildGauge()
      .Name("rate_limit_backend_up")
      .Help(
        "1 while the shared rate limit buckets (Redis) are in use, 0 while the local ones decide.")
      .Register(*registry);
  prometheus::Family<prometheus::Counter>& backend_fallbacks =
    prometheus::BuildCounter()
      .Name("rate_limit_backend_fallback_total")
      .Help(
        "Rate limit checks decided by the local bucket because the shared one (Redis) was unreachable or late.")
      .Register(*registry);
  prometheus::Family<prometheus::Gauge>& breaker_states = contract_family(
    prometheus::BuildGauge(), "circuit_breaker_state",
    "Circuit breaker state: 0 closed, 1 half-open, 2 open.", prometheus::MetricType::Gauge);
  prometheus::Family<prometheus::Counter>& breaker_transitions = contract_family(
    prometheus::BuildCounter(), "circuit_breaker_transitions_total",
    "Circuit breaker state changes.", prometheus::MetricType::Counter);
  prometheus::Family<prometheus::Counter>& breaker_rejections = contract_family(
    prometheus::BuildCounter(), "circuit_breaker_rejected_total",
    "Calls refused at once because the circuit was open.", prometheus::MetricType::Counter);
  prometheus::Family<prometheus::Gauge>& outbound_in_flight =
    prometheus::BuildGauge()
      .Name("outbound_calls_in_flight")
      .Help("Calls to a neighbour sent and not yet answered.")
      .Register(*registry);
  prometheus::Family<prometheus::Counter>& shed_calls =
    prometheus::BuildCounter()
      .Name("outbound_calls_shed_total")
      .Help("Calls to a neighbour not attempted because its limit of calls in flight was reached.")
      .Register(*registry);
  prometheus::Family<prometheus::Counter>& user_checks_settled =
    prometheus::BuildCounter()
      .Name("orders_user_check_reconciled_total")
      .Help("Orders taken unvalidated whose user was checked again later, by outcome.")
      .Register(*registry);
  prometheus::Family<prometheus::Gauge>& pool_connections = prometheus::BuildGauge()
                                                              .Name("db_pool_connections")
                                                              .Help("Pooled database connections.")
                                                              .Register(*registry);
  prometheus::Family<prometheus::Gauge>& pool_limits =
    prometheus::BuildGauge()
      .Name("db_pool_max_connections")
      .Help(
        "Database connections the pool may hold: DB_POOL_MAX for transactions plus one pipelined per I/O thread.")
      .Register(*registry);
  prometheus::Family<prometheus::Counter>& acquire_timeouts =
    prometheus::BuildCounter()
      .Name("db_pool_acquire_timeouts_total")
      .Help("Tasks answered 503 because no connection came free within the acquire timeout.")
      .Register(*registry);
  prometheus::Family<prometheus::Gauge>& database_states =
    prometheus::BuildGauge()
      .Name("db_up")
      .Help("1 while the pool sees its database answer, 0 while it counts it unreachable.")
      .Register(*registry);
  prometheus::Family<prometheus::Histogram>& pool_waits =
    prometheus::BuildHistogram()
      .Name("db_pool_wait_seconds")
      .Help("Time a task waited for a free connection.")
      .Register(*registry);
  prometheus::Family<prometheus::Histogram>& queries = contract_family(
    prometheus::BuildHistogram(), "db_query_duration_seconds",
    "Time a database task held its connection.", prometheus::MetricType::Histogram);
  prometheus::Gauge& in_flight_gauge = in_flight.Add({{"service", service}});
  prometheus::Histogram& pool_wait_histogram = pool_waits.Add({{"service", service}},
                                                              latency_buckets);
  prometheus::Gauge& pool_idle = pool_connections.Add({{"service", service}, {"state", "idle"}});
  prometheus::Gauge& pool_in_use = pool_connections.Add(
    {{"service", service}, {"state", "in_use"}});
  prometheus::Counter& limited_counter = limited.Add({{"service", service}});
  prometheus::Gauge& pool_limit_gauge = pool_limits.Add({{"service", service}});
  prometheus::Counter& acquire_timeout_counter = acquire_timeouts.Add({{"service", service}});
  prometheus::Gauge& database_up_gauge = database_states.Add({{"service", service}});
  child_cache<prometheus::Gauge> backend_up_gauges;  // one child, made on first use
  child_cache<prometheus::Counter> backend_fallback_counters;
  child_cache<prometheus::Counter> request_counters;         // by "method route status"
  child_cache<prometheus::Histogram> request_durations;      // by "method route"
  child_cache<prometheus::Histogram> query_durations;        // by operation
  child_cache<prometheus::Counter> error_counters;           // by code
  child_cache<prometheus::Gauge> outbound_in_flight_gauges;  // by target
  child_cache<prometheus::Counter> shed_counters;            // by target
  child_cache<prometheus::Counter> user_check_counters;      // by outcome
  process_collector process;

  explicit impl(std::string name) : service(std::move(name)) {
    build_info.Add({{"service", service}, {"version", SVC_VERSION}}).Set(1);
    database_up_gauge.Set(1);  // as the pool starts: it came up after the database answered
  }
};

service_metrics::service_metrics(std::string service)
    : impl_(std::make_unique<impl>(std::move(service))) {
}

service_metrics::~service_metrics() = default;

void service_metrics::request_started() {
  impl_->in_flight_gauge.Increment();
}

void service_metrics::request_finished(std::string_view method, std::string_view route,
                                       unsigned status, double seconds) {
  auto& i = *impl_;
  i.in_flight_gauge.Decrement();
  auto m = method_label(method);
  thread_local std::string key;  // reused: no allocation per request
  key.assign(m).append(1, ' ').append(route);
  i.request_durations
    .get(key,
         [&]() -> prometheus::Histogram& {
           return i.durations.Add(
             {{"service", i.service}, {"method", std::string{m}}, {"route", std::string{route}}},
             latency_buckets);
         })
    .Observe(seconds);
  auto status_text = std::to_string(status);
  key.append(1, ' ').append(status_text);
  i.request_counters
    .get(key,
         [&]() -> prometheus::Counter& {
           return i.requests.Add({{"service", i.service},
                                  {"method", std::string{m}},
                                  {"route", std::string{route}},
                                  {"status", status_text}});
         })
    .Increment();
}

void service_metrics::app_error(std::string_view code) {
  auto& i = *impl_;
  child_by_label(i.error_counters, i.errors, i.service, "code", code).Increment();
}

void service_metrics::declare_error_codes(const std::vector<std::string_view>& codes) {
  auto& i = *impl_;
  for (auto code : codes)
    child_by_label(i.error_counters, i.errors, i.service, "code", code);
}

void service_metrics::rate_limited() {
  impl_->limited_counter.Increment();
}

void service_metrics::rate_limit_backend_up(bool up) {
  auto& i = *impl_;
  i.backend_up_gauges
    .get("",
         [&]() -> prometheus::Gauge& {
           return i.backend_up.Add({{"service", i.service}});
         })
    .Set(up ? 1 : 0);
}

void service_metrics::rate_limit_fallback() {
  auto& i = *impl_;
  i.backend_fallback_counters
    .get("",
         [&]() -> prometheus::Counter& {
           return i.backend_fallbacks.Add({{"service", i.service}});
         })
    .Increment();
}

void service_metrics::breaker_state(std::string_view target, int state) {
  impl_->breaker_states.Add({{"service", impl_->service}, {"target", std::string{target}}})
    .Set(state);
}

void service_metrics::declare_breaker(
  std::string_view target,
  const std::vector<std::pair<std::string_view, std::string_view>>& transitions) {
  auto& i = *impl_;
  const std::string name{target};
  i.breaker_states.Add({{"service", i.service}, {"target", name}}).Set(0);
  i.breaker_rejections.Add({{"service", i.service}, {"target", name}});
  for (const auto& [from, to] : transitions)
    i.breaker_transitions.Add({{"service", i.service},
                               {"target", name},
                               {"from", std::string{from}},
                               {"to", std::string{to}}});
}

void service_metrics::breaker_transition(std::string_view target, std::string_view from,
                                         std::string_view to) {
  impl_->breaker_transitions
    .Add({{"service", impl_->service},
          {"target", std::string{target}},
          {"from", std::string{from}},
          {"to", std::string{to}}})
    .Increment();
}

void service_metrics::breaker_rejected(std::string_view target) {
  impl_->breaker_rejections.Add({{"service", impl_->service}, {"target", std::string{target}}})
    .Increment();
}

void service_metrics::outbound_calls_in_flight(std::string_view target, std::size_t calls) {
  auto& i = *impl_;
  child_by_label(i.outbound_in_flight_gauges, i.outbound_in_flight, i.service, "target", target)
    .Set(static_cast<double>(calls));
}

void service_metrics::outbound_call_shed(std::string_view target) {
  auto& i = *impl_;
  child_by_label(i.shed_counters, i.shed_calls, i.service, "target", target).Increment();
}

void service_metrics::user_check_reconciled(std::string_view outcome, std::int64_t orders) {
  auto& i = *impl_;
  child_by_label(i.user_check_counters, i.user_checks_settled, i.service, "outcome", outcome)
    .Increment(static_cast<double>(orders));
}

void service_metrics::pool_connections(std::size_t idle, std::size_t in_use) {
  impl_->pool_idle.Set(static_cast<double>(idle));
  impl_->pool_in_use.Set(static_cast<double>(in_use));
}

void service_metrics::pool_wait(double seconds) {
  impl_->pool_wait_histogram.Observe(seconds);
}

void service_metrics::pool_limit(std::size_t most) {
  impl_->pool_limit_gauge.Set(static_cast<double>(most));
}

void service_metrics::pool_acquire_timed_out() {
  impl_->acquire_timeout_counter.Increment();
}

void service_metrics::database_up(bool up) {
  impl_->database_up_gauge.Set(up ? 1 : 0);
}

void service_metrics::query_duration(std::string_view operation, double seconds) {
  auto& i = *impl_;
  thread_local std::string key;
  key.assign(operation);
  i.query_durations
    .get(key,
         [&]() -> prometheus::Histogram& {
           return i.queries.Add({{"service", i.service}, {"operation", key}}, latency_buckets);
         })
    .Observe(seconds);
}

std::string service_metrics::render() const {
  auto families = impl_->registry->Collect();
  for (const auto& declared : impl_->contract_families)
    if (std::none_of(families.begin(), families.end(),
                     [&](const auto& f) { return f.name == declared.name; }))
      families.push_back(declared);  // its HELP and TYPE lines, no sample yet
  for (auto& f : impl_->process.Collect())
    families.push_back(std::move(f));
  return prometheus::TextSerializer{}.Serialize(families);
}

}  // namespace svc
