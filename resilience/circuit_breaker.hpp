// The circuit breaker's state machine, free of actors and clocks: time comes in
// as an argument, so tests drive it with a fake clock.
//
//   closed --(failure_threshold consecutive failures)--> open
//   open --(open_timeout elapsed, next call)--> half_open
//   half_open --(a probe succeeds)--> closed
//   half_open --(a probe fails)--> open
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace svc {

enum class breaker_state { closed = 0, half_open = 1, open = 2 };  // values = metric gauge

std::string_view to_string(breaker_state s);

struct breaker_settings {
  int failure_threshold = 5;
  std::chrono::milliseconds open_timeout{30000};
  int half_open_max = 1;
};

struct breaker_transition {
  breaker_state from;
  breaker_state to;
};

// Every transition the state machine makes (the diagram above).
inline constexpr std::array<breaker_transition, 4> possible_breaker_transitions{{
  {breaker_state::closed, breaker_state::open},
  {breaker_state::open, breaker_state::half_open},
  {breaker_state::half_open, breaker_state::closed},
  {breaker_state::half_open, breaker_state::open},
}};

class circuit_breaker {
public:
  using time_point = std::chrono::steady_clock::time_point;

  // Proof that a call was admitted; results of calls admitted before the last
  // transition no longer count (a slow failure must not reopen a fresh circuit).
  struct ticket {
    std::uint64_t generation;
    bool probe;
  };

  explicit circuit_breaker(breaker_settings settings) : settings_(settings) {}

  // Asks to make one call now. nullopt: rejected without calling.
  std::optional<ticket> try_acquire(time_point now);

  void on_success(const ticket& t);
  void on_failure(const ticket& t, time_point now);

  breaker_state state() const { return state_; }

  // The transition the last call caused, once; lets the owner log and count it.
  std::optional<breaker_transition> take_transition();

  // When an open breaker will let the next probe through.
  time_point reopens_at() const { return opened_at_ + settings_.open_timeout; }

private:
  void move_to(breaker_state next, time_point now);

  breaker_settings settings_;
  breaker_state state_ = breaker_state::closed;
  int consecutive_failures_ = 0;
  int probes_in_flight_ = 0;
  std::uint64_t generation_ = 0;
  time_point opened_at_{};
  std::optional<breaker_transition> last_transition_;
};

}  // namespace svc
