// Migration 4 of each service changes index and table storage of a live schema:
// the counters must stay exact across it and the settings must really be applied.
#include <gtest/gtest.h>

#include <initializer_list>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "actor_test_support.hpp"
#include "persistence/orders_repository.hpp"
#include "persistence/users_repository.hpp"

namespace {

std::vector<svc::migration> first(const std::vector<svc::migration>& all, std::size_t n) {
  return {all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n)};
}

// Counter totals per status next to the true counts; equal when the counters are exact.
std::string counters_vs_rows(pqxx::connection& conn, const std::string& table) {
  pqxx::nontransaction tx{conn};
  auto r = tx.exec(
    "SELECT coalesce(string_agg(status || '=' || n, ',' ORDER BY status), '') FROM"
    " (SELECT status, sum(n) AS n FROM live_row_counts GROUP BY status HAVING sum(n) <> 0) c"
    " UNION ALL SELECT coalesce(string_agg(status || '=' || n, ',' ORDER BY status), '') FROM"
    " (SELECT status, count(*) AS n FROM " +
    tx.quote_name(table) + " WHERE deleted_at IS NULL GROUP BY status) t");
  return r[0][0].as<std::string>() + " | " + r[1][0].as<std::string>();
}

std::string reloptions(pqxx::connection& conn, const std::string& relation) {
  pqxx::nontransaction tx{conn};
  auto r = tx.exec_params(
    "SELECT coalesce(array_to_string(reloptions, ','), '') FROM pg_class WHERE relname = $1",
    relation);
  return r.empty() ? "<missing>" : r[0][0].as<std::string>();
}

// Runs `statements` in one committed transaction.
void write(pqxx::connection& conn, std::initializer_list<const char*> statements) {
  pqxx::work tx{conn};
  for (const char* sql : statements)
    tx.exec(sql);
  tx.commit();
}

int counter_pages(pqxx::connection& conn) {
  pqxx::nontransaction tx{conn};
  return tx.exec("SELECT count(DISTINCT (ctid::text::point)[0]) FROM live_row_counts")[0][0]
    .as<int>();
}

}  // namespace

TEST(SchemaMigration, UsersCountersStayExactAndTrigramListsAreBounded) {
  auto url = svc_test::fresh_database("schema_migration_users");
  svc_test::migrate(url, first(svc::users_migrations(), 3));
  pqxx::connection conn{url};
  write(conn,
        {"INSERT INTO users (name, email, status) SELECT 'User ' || g, 'u' || g || '@example.com',"
         " CASE WHEN g % 4 = 0 THEN 'inactive' ELSE 'active' END FROM generate_series(1, 200) g",
         "UPDATE users SET deleted_at = now() WHERE id % 10 = 0"});
  ASSERT_EQ(counters_vs_rows(conn, "users"), "active=140,inactive=40 | active=140,inactive=40");

  svc_test::migrate(url, svc::users_migrations());
  EXPECT_EQ(counters_vs_rows(conn, "users"), "active=140,inactive=40 | active=140,inactive=40");
  EXPECT_EQ(reloptions(conn, "users_name_trgm_idx"), "gin_pending_list_limit=128");
  EXPECT_EQ(reloptions(conn, "users_email_trgm_idx"), "gin_pending_list_limit=128");
  EXPECT_EQ(reloptions(conn, "live_row_counts"), "fillfactor=10");
  // 64 counter rows no longer share one page.
  EXPECT_GT(counter_pages(conn), 2);

  write(conn, {"INSERT INTO users (name, email) VALUES ('Late User', 'late@example.com')",
               "UPDATE users SET status = 'inactive' WHERE id = 1"});
  EXPECT_EQ(counters_vs_rows(conn, "users"), "active=140,inactive=41 | active=140,inactive=41");
}

TEST(SchemaMigration, OrdersCountersStayExactAndTrigramIndexHasNoPendingList) {
  auto url = svc_test::fresh_database("schema_migration_orders");
  svc_test::migrate(url, first(svc::orders_migrations(), 3));
  pqxx::connection conn{url};
  write(conn,
        {"INSERT INTO orders (user_id, product_name, quantity, price, total_amount, status)"
         " SELECT 1 + g % 7, 'Widget ' || g, 1, 9.99, 9.99,"
         " CASE WHEN g % 3 = 0 THEN 'shipped' ELSE 'pending' END FROM generate_series(1, 90) g"});
  svc_test::migrate(url, svc::orders_migrations());
  EXPECT_EQ(counters_vs_rows(conn, "orders"), "pending=60,shipped=30 | pending=60,shipped=30");
  EXPECT_EQ(reloptions(conn, "orders_product_trgm_idx"), "fastupdate=off");
  EXPECT_EQ(reloptions(conn, "live_row_counts"), "fillfactor=10");

  pqxx::nontransaction tx{conn};
  // Through the index only: it still finds what was pending before the migration.
  tx.exec("SET enable_seqscan = off");
  auto found = tx.exec(
                   "SELECT count(*) FROM orders WHERE lower(product_name) LIKE '%widget 1%'"
                   " AND deleted_at IS NULL")[0][0]
                 .as<int>();
  EXPECT_EQ(found, 11);  // Widget 1 and Widget 10 to 19
}

TEST(SchemaMigration, EachServiceKeepsItsOwnHistoryAndRefusesAnotherServicesDatabase) {
  auto url = svc_test::fresh_database("schema_migration_shared");
  svc_test::migrate(url, svc::users_migrations(), "user-service");
  // Both number their migrations from 1: with one history, order-service found
  // versions 1-5 applied and failed on 6 (no orders table). Now it refuses, saying why.
  try {
    svc_test::migrate(url, svc::orders_migrations(), "order-service");
    FAIL() << "order-service migrated user-service's database";
  } catch (const svc::foreign_schema& e) {
    EXPECT_NE(std::string{e.what()}.find("holds user-service's schema"), std::string::npos)
      << e.what();
  }
  pqxx::connection conn{url};
  pqxx::nontransaction tx{conn};
  EXPECT_EQ(tx.exec("SELECT count(*) FROM pg_tables WHERE tablename = 'orders'")[0][0].as<int>(),
            0);
  // The owner itself starts again as before.
  EXPECT_NO_THROW(svc_test::migrate(url, svc::users_migrations(), "user-service"));
}

TEST(SchemaMigration, AHistoryWrittenBeforeItNamedItsServiceBelongsToTheServiceThatFindsIt) {
  auto url = svc_test::fresh_database("schema_migration_legacy");
  pqxx::connection conn{url};
  {
    // As an earlier release left it: versions 1-3 of user-service, no service column.
    pqxx::work tx{conn};
    tx.exec(
      "CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL,"
      " applied_at timestamptz NOT NULL DEFAULT now())");
    tx.commit();
  }
  {
    pqxx::work tx{conn};
    for (const auto& m : first(svc::users_migrations(), 3)) {
      tx.exec(m.sql);
      tx.exec_params("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", m.version,
                     m.name);
    }
    tx.commit();
  }
  svc_test::migrate(url, svc::users_migrations(), "user-service");
  pqxx::nontransaction tx{conn};
  EXPECT_EQ(
    tx.exec(
        "SELECT string_agg(service || ':' || version, ',' ORDER BY version) FROM schema_migrations")
      [0][0]
        .as<std::string>(),
    "user-service:1,user-service:2,user-service:3,user-service:4,user-service:5");
}
