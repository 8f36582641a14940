// Token bucket arithmetic for per-client rate limiting, free of actors and
// clocks: time comes in as an argument so tests use a fake clock.
#pragma once

#include <chrono>

namespace svc {

struct rate_limit_settings {
  double rate_per_second = 100;  // refill
  double burst = 100;            // capacity
};

struct rate_decision {
  bool allowed = false;
  long remaining = 0;                   // whole tokens left after this request
  std::chrono::seconds retry_after{0};  // when refused: until one token is back
};

class token_bucket {
public:
  using time_point = std::chrono::steady_clock::time_point;

  token_bucket(const rate_limit_settings& s, time_point now) : tokens_(s.burst), last_(now) {}

  // Takes one token if there is one.
  rate_decision take(const rate_limit_settings& s, time_point now);

  // True once the bucket has refilled completely: forgetting it changes nothing.
  bool full(const rate_limit_settings& s, time_point now) const;

  time_point last_seen() const { return last_; }

private:
  void refill(const rate_limit_settings& s, time_point now);

  double tokens_;
  time_point last_;
};

}  // namespace svc
