#include "persistence/named_statements.hpp"

#include <stdexcept>

namespace svc {
namespace {

struct binding {
  const pqxx::connection_base* conn = nullptr;
  const statement_catalog* catalog = nullptr;
};

thread_local binding current;

}  // namespace

statement_binding::statement_binding(const pqxx::connection_base& conn,
                                     const statement_catalog& catalog) noexcept
    : previous_conn_(current.conn), previous_catalog_(current.catalog) {
  current = {&conn, &catalog};
}

statement_binding::~statement_binding() {
  current = {previous_conn_, previous_catalog_};
}

const std::string* unnamed_sql(const pqxx::transaction_base& tx, const std::string& name) {
  // The connection check keeps a binding from reaching a connection the task
  // opened on its own.
  if (current.catalog == nullptr || current.conn != &tx.conn() ||
      current.catalog->mode() == statement_mode::prepared)
    return nullptr;
  if (const auto* sql = current.catalog->sql_of(name))
    return sql;
  throw std::logic_error("statement \"" + name + "\" is not in the pool's statement list");
}

}  // namespace svc
