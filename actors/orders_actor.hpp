// The orders resource: validates requests, checks each new order's user with
// user-service through the breaker actor, and runs its SQL through the DB pool.
#pragma once

#include <chrono>

#include "actors/breaker_actor.hpp"
#include "actors/db_pool_actor.hpp"
#include "actors/resource_actor.hpp"

namespace svc {

struct orders_actor_config {
  db_pool_actor pool;
  // Always answers: its HTTP client bounds every call with a timeout.
  breaker_actor users_breaker;
  // How long a new order waits for that answer (USER_VALIDATION_TIMEOUT).
  std::chrono::milliseconds validation_timeout{500};
};

resource_actor spawn_orders_actor(caf::actor_system& sys, orders_actor_config config);

}  // namespace svc
