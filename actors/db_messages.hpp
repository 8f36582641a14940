// Messages shared by the DB-pool actor and its worker actors: a unit of database
// work, its result, and the errors a client of the pool can see.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/error.hpp>

#include "actors/db_failure.hpp"
#include "observability/log.hpp"
#include "persistence/statements.hpp"

namespace pqxx {
class connection_base;
}

namespace svc {

// Work to run on one pooled connection, on the worker's own thread. `operation`
// names it for logs and metrics ("users.create"). The task keeps its own typed
// result (run_db_task): the pool and the workers only pass on that it is done.
struct db_task {
  std::function<void(pqxx::connection_base&)> run;
  std::string operation;
  log::request_scope scope;  // of the request it serves, for the log; empty for background work
};

// The answer to a db_task that ran to its end.
struct db_done {};

using execute_atom = caf::atom_constant<caf::atom("execute")>;
using connect_atom = caf::atom_constant<caf::atom("connect")>;
using reset_atom = caf::atom_constant<caf::atom("reset")>;

// Settings every pooled connection shares.
struct db_connection_settings {
  std::string url;
  std::chrono::seconds max_lifetime{3600};
  std::chrono::seconds query_timeout{10};
  std::shared_ptr<const statement_list> statements;
  // DB_PREPARED_STATEMENTS: false sends every statement unnamed, for a pooler in
  // transaction mode (persistence/statements.hpp, statement_mode).
  bool prepared_statements = true;
};

}  // namespace svc

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(svc::db_task)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(svc::db_done)
