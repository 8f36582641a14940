// The one way a repository runs a named statement: exec_named(tx, name, args...).
// On a pooled connection it follows the pool's statement_catalog: the prepared
// name, or the SQL text sent unnamed (DB_PREPARED_STATEMENTS=false). On any other
// connection (a test's, the migrations') it runs the prepared name, which the
// owner of that connection prepared.
#pragma once

#include <string>
#include <utility>

#include <pqxx/connection_base>
#include <pqxx/result>
#include <pqxx/transaction_base>

#include "persistence/statements.hpp"

namespace svc {

// While alive, statements run on `conn` from this thread follow `catalog`. The
// pool's worker binds its connection around each task. libpqxx 6.4 connections
// carry nothing of ours and have no virtual functions to find a subclass by, so
// the binding lives beside the connection, on the one thread that uses it.
class statement_binding {
public:
  statement_binding(const pqxx::connection_base& conn, const statement_catalog& catalog) noexcept;
  ~statement_binding();
  statement_binding(const statement_binding&) = delete;
  statement_binding& operator=(const statement_binding&) = delete;

private:
  const pqxx::connection_base* previous_conn_;
  const statement_catalog* previous_catalog_;
};

// The SQL text to send unnamed for `name` on tx's connection, or nullptr when
// the statement runs by its prepared name. Throws std::logic_error for a name
// the bound catalog does not list (as libpqxx does for an unprepared name).
const std::string* unnamed_sql(const pqxx::transaction_base& tx, const std::string& name);

template <class... Args>
pqxx::result exec_named(pqxx::transaction_base& tx, const std::string& name, Args&&... args) {
  if (const std::string* sql = unnamed_sql(tx, name))
    return tx.exec_params(*sql, std::forward<Args>(args)...);
  return tx.exec_prepared(name, std::forward<Args>(args)...);
}

// A db_statement run inside a transaction (where the pool's pipelined
// connections cannot go): the same statement, the same rules as exec_named.
inline pqxx::result exec_statement(pqxx::transaction_base& tx, const db_statement& statement) {
  auto params = pqxx::prepare::make_dynamic_params(statement.params);
  if (statement.name.empty())
    return tx.exec_params(statement.sql, params);
  return exec_named(tx, statement.name, params);
}

}  // namespace svc
