#include "persistence/migrations.hpp"

#include <pqxx/pqxx>

namespace svc {
namespace {

// Arbitrary but fixed: every replica of every service takes the same lock while
// migrating its own database.
constexpr long long migration_lock_key = 7283910451;

}  // namespace

int apply_migrations(pqxx::connection_base& conn, const std::vector<migration>& migrations) {
  {
    pqxx::work tx{conn};
    tx.exec0(
      "CREATE TABLE IF NOT EXISTS schema_migrations ("
      " version integer PRIMARY KEY,"
      " name text NOT NULL,"
      " applied_at timestamptz NOT NULL DEFAULT now())");
    tx.commit();
  }
  int applied = 0;
  for (const auto& m : migrations) {
    pqxx::work tx{conn};
    tx.exec_params("SELECT pg_advisory_xact_lock($1)", migration_lock_key);
    auto done = tx.exec_params("SELECT 1 FROM schema_migrations WHERE version = $1", m.version);
    if (!done.empty())
      continue;
    tx.exec0(m.sql);
    tx.exec_params0("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", m.version,
                    m.name);
    tx.commit();
    ++applied;
  }
  return applied;
}

}  // namespace svc
