#include "resilience/circuit_breaker.hpp"

namespace svc {

std::string_view to_string(breaker_state s) {
  switch (s) {
    case breaker_state::closed: return "closed";
    case breaker_state::half_open: return "half_open";
    case breaker_state::open: return "open";
  }
  return "unknown";
}

void circuit_breaker::move_to(breaker_state next, time_point now) {
  last_transition_ = breaker_transition{state_, next};
  state_ = next;
  ++generation_;
  consecutive_failures_ = 0;
  probes_in_flight_ = 0;
  if (next == breaker_state::open)
    opened_at_ = now;
}

std::optional<circuit_breaker::ticket> circuit_breaker::try_acquire(time_point now) {
  if (state_ == breaker_state::open) {
    if (now < reopens_at())
      return std::nullopt;
    move_to(breaker_state::half_open, now);
  }
  if (state_ == breaker_state::half_open) {
    if (probes_in_flight_ >= settings_.half_open_max)
      return std::nullopt;
    ++probes_in_flight_;
    return ticket{generation_, true};
  }
  return ticket{generation_, false};
}

void circuit_breaker::on_success(const ticket& t) {
  if (t.generation != generation_)
    return;
  if (state_ == breaker_state::half_open)
    move_to(breaker_state::closed, {});
  else
    consecutive_failures_ = 0;
}

void circuit_breaker::on_failure(const ticket& t, time_point now) {
  if (t.generation != generation_)
    return;
  if (state_ == breaker_state::half_open) {
    move_to(breaker_state::open, now);
    return;
  }
  if (++consecutive_failures_ >= settings_.failure_threshold)
    move_to(breaker_state::open, now);
}

std::optional<breaker_transition> circuit_breaker::take_transition() {
  auto t = last_transition_;
  last_transition_.reset();
  return t;
}

}  // namespace svc
