// One pooled PostgreSQL connection. Spawned detached by the pool: libpq blocks,
// so each worker has a thread of its own and never stalls CAF's scheduler.
#pragma once

#include <memory>

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/db_messages.hpp"

namespace svc {

using db_worker_actor = caf::typed_actor<
  // Runs the task, connecting (or reconnecting) first when needed.
  caf::replies_to<execute_atom, db_task>::with<db_done>,
  // Opens the connection now if it is not open; answers whether it is.
  caf::replies_to<connect_atom>::with<bool>,
  // Drops the connection (the database went away); the next task reconnects.
  caf::reacts_to<reset_atom>>;

// `catalog`: the pool's named statements and how they are sent (one per pool).
db_worker_actor::behavior_type db_worker(db_worker_actor::pointer self,
                                         const db_connection_settings& settings,
                                         const std::shared_ptr<const statement_catalog>& catalog);

// A worker's answer to execute when its connection broke under the task but a
// fresh connection opened right after: the task failed (whether its statement
// ran is unknown, so it is not sent again), the database did not. For the pool
// only: its requester sees db_failure::unavailable.
caf::error connection_lost_error();
bool is_connection_lost(const caf::error& err);

}  // namespace svc
