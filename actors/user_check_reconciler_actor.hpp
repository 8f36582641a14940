// Settles the orders taken while user-service could not say whether their user
// exists (user_check "pending"): once user-service answers again it asks, in small
// batches at a bounded rate, and records "validated" or "user_not_found". The work
// left is the pending rows themselves, so a restart resumes where it stopped.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/breaker_actor.hpp"
#include "actors/db_pool_actor.hpp"
#include "observability/metrics.hpp"

namespace svc {

// What one pass did.
struct reconcile_report {
  std::int64_t validated = 0;       // orders now user_check "validated"
  std::int64_t user_not_found = 0;  // orders now "user_not_found"
  // Orders looked at and left pending: user-service did not answer (the pass
  // stops there), or a client changed the order meanwhile.
  std::int64_t left_pending = 0;
};

using reconcile_atom = caf::atom_constant<caf::atom("reconcile")>;
using reconcile_tick_atom = caf::atom_constant<caf::atom("rectick")>;

using user_check_reconciler_actor = caf::typed_actor<
  // One pass now (up to `batch` pending orders); answers what it settled.
  caf::replies_to<reconcile_atom>::with<reconcile_report>,
  // Timer the reconciler sends itself: a pass, then the next tick.
  caf::reacts_to<reconcile_tick_atom>>;

struct user_check_reconciler_config {
  db_pool_actor pool;
  breaker_actor users_breaker;
  std::chrono::milliseconds interval{5000};  // USER_CHECK_RECONCILE_INTERVAL
  std::int64_t batch = 50;                   // USER_CHECK_RECONCILE_BATCH
  std::shared_ptr<service_metrics> metrics;  // may be null (tests)
};

user_check_reconciler_actor spawn_user_check_reconciler(caf::actor_system& sys,
                                                        user_check_reconciler_config config);

}  // namespace svc

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(svc::reconcile_report)
