// Forgets Idempotency-Keys once they are older than the configured retention, so
// that the idempotency_keys table stays bounded by traffic × retention instead of
// growing forever. One per service, beside the resource actor that stores keys.
#pragma once

#include <chrono>
#include <cstdint>

#include <caf/atom.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/db_pool_actor.hpp"

namespace svc {

using purge_keys_atom = caf::atom_constant<caf::atom("purgekeys")>;
using janitor_tick_atom = caf::atom_constant<caf::atom("jantick")>;

using idempotency_janitor_actor = caf::typed_actor<
  // Deletes every expired key now, in batches; answers how many it deleted.
  caf::replies_to<purge_keys_atom>::with<std::int64_t>,
  // Timer the janitor sends itself: a purge, then the next tick.
  caf::reacts_to<janitor_tick_atom>>;

struct idempotency_janitor_config {
  db_pool_actor pool;
  std::chrono::seconds ttl{86400};  // IDEMPOTENCY_KEY_TTL
  std::chrono::milliseconds interval{60000};
  // Keys deleted per statement: a large backlog is worked off in short
  // statements that never hold a pooled connection for long.
  std::int64_t batch = 1000;
};

idempotency_janitor_actor spawn_idempotency_janitor(caf::actor_system& sys,
                                                    idempotency_janitor_config config);

}  // namespace svc
