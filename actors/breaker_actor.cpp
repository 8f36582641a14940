#include "actors/breaker_actor.hpp"

#include <memory>
#include <stdexcept>
#include <unordered_map>

#include <caf/actor_system.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include "observability/log.hpp"

namespace svc {
namespace {

struct pending_call {
  circuit_breaker::ticket ticket;
  caf::typed_response_promise<outbound_result> promise;
};

struct breaker_actor_state {
  static inline const char* name = "breaker";
  breaker_config config;
  std::unique_ptr<circuit_breaker> breaker;
  std::unordered_map<std::uint64_t, pending_call> pending;
  std::uint64_t next_call = 0;
  bool shedding = false;  // logged once per episode, not once per call
};

using breaker_pointer = breaker_actor::stateful_pointer<breaker_actor_state>;

void report_in_flight(breaker_pointer self) {
  auto& st = self->state;
  if (st.config.metrics)
    st.config.metrics->outbound_calls_in_flight(st.config.target_name, st.pending.size());
}

void report_transition(breaker_pointer self) {
  auto& st = self->state;
  auto t = st.breaker->take_transition();
  if (!t)
    return;
  log::warn(
    "circuit breaker changed state",
    {{"target", st.config.target_name}, {"from", to_string(t->from)}, {"to", to_string(t->to)}});
  if (auto& m = st.config.metrics) {
    m->breaker_transition(st.config.target_name, to_string(t->from), to_string(t->to));
    m->breaker_state(st.config.target_name, static_cast<int>(t->to));
  }
}

outbound_result to_outbound(http::client_result&& r) {
  outbound_result out;
  out.status = r.status;
  out.body = std::move(r.body);
  out.error = std::move(r.error);
  bool answered = r.result == http::client_result::outcome::response && r.status < 500;
  out.result = answered ? outbound_result::outcome::answered : outbound_result::outcome::failed;
  return out;
}

breaker_actor::behavior_type breaker(breaker_pointer self, breaker_config config) {
  auto& st = self->state;
  st.breaker = std::make_unique<circuit_breaker>(config.settings);
  st.config = std::move(config);
  if (st.config.metrics) {
    std::vector<std::pair<std::string_view, std::string_view>> transitions;
    transitions.reserve(possible_breaker_transitions.size());
    for (const auto& t : possible_breaker_transitions)
      transitions.emplace_back(to_string(t.from), to_string(t.to));
    st.config.metrics->declare_breaker(st.config.target_name, transitions);
  }
  report_in_flight(self);
  return {
    [=](call_atom, outbound_call& call) -> caf::result<outbound_result> {
      auto& st = self->state;
      // Before try_acquire: a shed call must not take a half-open probe slot.
      if (st.pending.size() >= st.config.max_in_flight) {
        if (!st.shedding)
          log::warn("too many calls in flight: shedding calls until some finish",
                    {{"target", st.config.target_name},
                     {"max_in_flight", static_cast<std::int64_t>(st.config.max_in_flight)}});
        st.shedding = true;
        if (st.config.metrics)
          st.config.metrics->outbound_call_shed(st.config.target_name);
        return outbound_result{outbound_result::outcome::shed, 0, {}, "too many calls in flight"};
      }
      // The actor's clock (steady_clock in the services; a test's scheduler moves its own).
      auto ticket = st.breaker->try_acquire(self->clock().now());
      report_transition(self);
      if (!ticket) {
        if (st.config.metrics)
          st.config.metrics->breaker_rejected(st.config.target_name);
        return outbound_result{outbound_result::outcome::rejected, 0, {}, "circuit open"};
      }
      // The file is looked at again at most once a second (a stat), so this
      // does not wait on the disk per call.
      if (st.config.bearer_token)
        if (auto authorization = st.config.bearer_token->authorization(); !authorization.empty())
          call.headers.push_back({"Authorization", std::move(authorization)});
      auto id = st.next_call++;
      auto promise = self->make_response_promise<outbound_result>();
      st.pending.emplace(id, pending_call{*ticket, promise});
      report_in_flight(self);
      // The client answers on its own I/O thread; only a message crosses back.
      auto weak = caf::actor_cast<caf::weak_actor_ptr>(self);
      auto done = [weak, id](http::client_result r) {
        if (auto strong = caf::actor_cast<caf::strong_actor_ptr>(weak))
          caf::anon_send(caf::actor_cast<breaker_actor>(strong), call_done_atom::value, id,
                         std::move(r));
      };
      st.config.transport(call.method, st.config.base, call.target, call.headers, std::move(done));
      return promise;
    },
    [=](call_done_atom, std::uint64_t id, http::client_result& r) {
      auto& st = self->state;
      auto it = st.pending.find(id);
      if (it == st.pending.end())
        return;
      auto call = std::move(it->second);
      st.pending.erase(it);
      report_in_flight(self);
      if (st.shedding) {
        st.shedding = false;
        log::info("calls in flight below the limit again: no longer shedding",
                  {{"target", st.config.target_name}});
      }
      auto out = to_outbound(std::move(r));
      if (out.result == outbound_result::outcome::answered)
        st.breaker->on_success(call.ticket);
      else
        st.breaker->on_failure(call.ticket, self->clock().now());
      report_transition(self);
      call.promise.deliver(std::move(out));
    },
    [=](breaker_status_atom) { return breaker_status{self->state.breaker->state()}; },
  };
}

}  // namespace

outbound_transport http_transport(const http::client_options& options) {
  // Shared by the copies of the transport; destroyed (its thread joined) with
  // the last, so with the breaker actor's state: its pending calls end then.
  auto client = std::make_shared<http::client>(options);
  return [client](const std::string& method, const http::base_url& base, const std::string& target,
                  const std::vector<http::header>& headers, http::client_callback done) {
    client->request(method, base, target, headers, {}, std::move(done));
  };
}

breaker_actor spawn_breaker(caf::actor_system& sys, breaker_config config) {
  if (!config.transport)
    throw std::invalid_argument("spawn_breaker: no transport for " + config.target_name);
  return sys.spawn(breaker, std::move(config));
}

}  // namespace svc
