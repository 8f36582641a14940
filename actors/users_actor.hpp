// The users resource: validates requests and runs their SQL through the DB pool.
#pragma once

#include "actors/db_pool_actor.hpp"
#include "actors/resource_actor.hpp"

namespace svc {

resource_actor spawn_users_actor(caf::actor_system& sys, db_pool_actor pool);

}  // namespace svc
