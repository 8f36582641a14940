#include "persistence/migrations.hpp"

#include <pqxx/pqxx>

namespace svc {
namespace {

// Arbitrary but fixed: every replica of every service takes the same lock while
// migrating its own database.
constexpr long long migration_lock_key = 7283910451;

// The history table, and its `service` column for tables written before it had
// one: their rows are the connecting service's (a database was never meant to
// hold two services, and did not work when it did: the second one found the
// first one's versions applied).
void prepare_history(pqxx::connection_base& conn, const std::string& service) {
  pqxx::work tx{conn};
  tx.exec_params("SELECT pg_advisory_xact_lock($1)", migration_lock_key);
  tx.exec0(
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " service text NOT NULL,"
    " version integer NOT NULL,"
    " name text NOT NULL,"
    " applied_at timestamptz NOT NULL DEFAULT now(),"
    " PRIMARY KEY (service, version))");
  const bool has_service =
    !tx.exec(
         "SELECT 1 FROM information_schema.columns"
         " WHERE table_schema = current_schema() AND table_name = 'schema_migrations'"
         " AND column_name = 'service'")
       .empty();
  if (!has_service) {
    tx.exec0("ALTER TABLE schema_migrations ADD COLUMN service text");
    tx.exec_params0("UPDATE schema_migrations SET service = $1", service);
    tx.exec0(
      "ALTER TABLE schema_migrations ALTER COLUMN service SET NOT NULL,"
      " DROP CONSTRAINT schema_migrations_pkey, ADD PRIMARY KEY (service, version)");
  }
  tx.commit();
}

}  // namespace

foreign_schema::foreign_schema(const std::string& service, const std::string& other)
    : std::runtime_error(
        "this database holds " + other + "'s schema; " + service +
        " needs a database of its own (DATABASE_URL): the two services' tables would collide") {
}

int apply_migrations(pqxx::connection_base& conn, const std::string& service,
                     const std::vector<migration>& migrations) {
  prepare_history(conn, service);
  {
    pqxx::nontransaction tx{conn};
    auto other = tx.exec_params("SELECT service FROM schema_migrations WHERE service <> $1 LIMIT 1",
                                service);
    if (!other.empty())
      throw foreign_schema(service, other[0][0].as<std::string>());
  }
  int applied = 0;
  for (const auto& m : migrations) {
    pqxx::work tx{conn};
    tx.exec_params("SELECT pg_advisory_xact_lock($1)", migration_lock_key);
    auto done = tx.exec_params(
      "SELECT 1 FROM schema_migrations WHERE service = $1 AND version = $2", service, m.version);
    if (!done.empty())
      continue;
    tx.exec0(m.sql);
    tx.exec_params0("INSERT INTO schema_migrations (service, version, name) VALUES ($1, $2, $3)",
                    service, m.version, m.name);
    tx.commit();
    ++applied;
  }
  return applied;
}

}  // namespace svc
