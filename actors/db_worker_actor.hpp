// One pooled PostgreSQL connection. Spawned detached by the pool: libpq blocks,
// so each worker has a thread of its own and never stalls CAF's scheduler.
#pragma once

#include <caf/typed_actor.hpp>
#include <caf/replies_to.hpp>

#include "actors/db_messages.hpp"

namespace svc {

using db_worker_actor = caf::typed_actor<
  // Runs the task, connecting (or reconnecting) first when needed.
  caf::replies_to<execute_atom, db_task>::with<db_value>,
  // Opens the connection now if it is not open; answers whether it is.
  caf::replies_to<connect_atom>::with<bool>,
  // Drops the connection (the database went away); the next task reconnects.
  caf::reacts_to<reset_atom>>;

db_worker_actor::behavior_type db_worker(db_worker_actor::pointer self,
                                         db_connection_settings settings);

}  // namespace svc
