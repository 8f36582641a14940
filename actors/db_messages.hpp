// Messages shared by the DB-pool actor and its worker actors: a unit of database
// work, its result, and the errors a client of the pool can see.
#pragma once

#include <any>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/error.hpp>

#include "persistence/database_errors.hpp"
#include "persistence/statements.hpp"

namespace pqxx {
class connection_base;
}

namespace svc {

// Work to run on one pooled connection, on the worker's own thread. `operation`
// names it for logs and metrics ("users.create").
struct db_task {
  std::function<std::any(pqxx::connection_base&)> run;
  std::string operation;
};

struct db_value {
  std::any value;
};

using execute_atom = caf::atom_constant<caf::atom("execute")>;
using connect_atom = caf::atom_constant<caf::atom("connect")>;
using reset_atom = caf::atom_constant<caf::atom("reset")>;

// Lets `caf::error e = db_failure::unavailable;` work (found by ADL).
caf::error make_error(db_failure failure);

// The db_failure carried by an error, if it is one.
std::optional<db_failure> db_failure_of(const caf::error& err);

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
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(svc::db_value)
