// Per-client-IP rate limiting: one token bucket per address, with idle buckets
// forgotten so that a flood of distinct addresses cannot grow memory without bound.
//
// With a shared backend (RATE_LIMIT_BACKEND=redis) the bucket of a client lives
// in Redis, one for all replicas (actors/shared_bucket_store.hpp); the local
// bucket decides whenever Redis is unreachable or slow to answer (counted in
// rate_limit_backend_fallback_total). Either way every check is answered, within
// the shared backend's answer_within at most.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "observability/metrics.hpp"
#include "resilience/token_bucket.hpp"

namespace svc {

namespace http {
class io_threads;
}

using rate_check_atom = caf::atom_constant<caf::atom("ratecheck")>;
using rate_sweep_atom = caf::atom_constant<caf::atom("ratesweep")>;
using rate_clients_atom = caf::atom_constant<caf::atom("rateclient")>;
using rate_shared_atom = caf::atom_constant<caf::atom("rateshared")>;
using rate_socket_atom = caf::atom_constant<caf::atom("ratesocket")>;
using rate_resolved_atom = caf::atom_constant<caf::atom("rateresolv")>;
using rate_tick_atom = caf::atom_constant<caf::atom("ratetick")>;

using limiter_actor = caf::typed_actor<
  // Takes one token from the client's bucket (by IP address).
  caf::replies_to<rate_check_atom, std::string>::with<rate_decision>,
  // How many client buckets it holds (memory stays bounded by max_clients).
  caf::replies_to<rate_clients_atom>::with<std::size_t>,
  // Whether the shared buckets are in use now (false: local only, or Redis down).
  caf::replies_to<rate_shared_atom>::with<bool>,
  // Timer the limiter sends itself: forget buckets that have refilled.
  caf::reacts_to<rate_sweep_atom>,
  // The shared backend's own messages: its socket is ready (generation,
  // writable), a name resolved (attempt, address, error), its timer (only the
  // latest one asked for counts).
  caf::reacts_to<rate_socket_atom, std::uint64_t, bool>,
  caf::reacts_to<rate_resolved_atom, std::uint64_t, std::string, std::string>,
  caf::reacts_to<rate_tick_atom, std::uint64_t>>;

// RATE_LIMIT_BACKEND=redis.
struct shared_limit_config {
  std::string redis_url;  // REDIS_URL, checked by the settings loader
  std::string service;    // keys are ratelimit:<service>:<client>
  // Whose first io_context watches the Redis connection; empty: a thread of the
  // limiter's own.
  std::shared_ptr<http::io_threads> io;
  // Longest a check waits for Redis before the local bucket decides.
  std::chrono::milliseconds answer_within{50};
};

struct limiter_config {
  rate_limit_settings settings;
  std::size_t max_clients = 100000;  // buckets kept at most
  std::shared_ptr<service_metrics> metrics;
  std::optional<shared_limit_config> shared{};  // empty: RATE_LIMIT_BACKEND=local
};

limiter_actor spawn_limiter(caf::actor_system& sys, limiter_config config);

}  // namespace svc

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(svc::rate_decision)
