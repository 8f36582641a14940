// Per-client-IP rate limiting: one token bucket per address, with idle buckets
// forgotten so that a flood of distinct addresses cannot grow memory without bound.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "observability/metrics.hpp"
#include "resilience/token_bucket.hpp"

namespace svc {

using rate_check_atom = caf::atom_constant<caf::atom("ratecheck")>;
using rate_sweep_atom = caf::atom_constant<caf::atom("ratesweep")>;
using rate_clients_atom = caf::atom_constant<caf::atom("rateclient")>;

using limiter_actor = caf::typed_actor<
  // Takes one token from the client's bucket (by IP address).
  caf::replies_to<rate_check_atom, std::string>::with<rate_decision>,
  // How many client buckets it holds (memory stays bounded by max_clients).
  caf::replies_to<rate_clients_atom>::with<std::size_t>,
  // Timer the limiter sends itself: forget buckets that have refilled.
  caf::reacts_to<rate_sweep_atom>>;

struct limiter_config {
  rate_limit_settings settings;
  std::size_t max_clients = 100000;  // buckets kept at most
  std::shared_ptr<service_metrics> metrics;
};

limiter_actor spawn_limiter(caf::actor_system& sys, limiter_config config);

}  // namespace svc

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(svc::rate_decision)
