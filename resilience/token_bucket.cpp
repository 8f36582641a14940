#include "resilience/token_bucket.hpp"

#include <algorithm>
#include <cmath>

namespace svc {

void token_bucket::refill(const rate_limit_settings& s, time_point now) {
  if (now > last_) {
    std::chrono::duration<double> elapsed = now - last_;
    tokens_ = std::min(s.burst, tokens_ + elapsed.count() * s.rate_per_second);
    last_ = now;
  }
}

rate_decision token_bucket::take(const rate_limit_settings& s, time_point now) {
  refill(s, now);
  rate_decision d;
  if (tokens_ >= 1.0) {
    tokens_ -= 1.0;
    d.allowed = true;
  } else {
    // Retry-After is whole seconds; round up so a client that obeys it succeeds.
    auto wait = (1.0 - tokens_) / s.rate_per_second;
    d.retry_after = std::chrono::seconds{static_cast<long>(std::max(1.0, std::ceil(wait)))};
  }
  d.remaining = static_cast<long>(std::floor(tokens_));
  return d;
}

bool token_bucket::full(const rate_limit_settings& s, time_point now) const {
  std::chrono::duration<double> elapsed = now - last_;
  return tokens_ + elapsed.count() * s.rate_per_second >= s.burst;
}

}  // namespace svc
