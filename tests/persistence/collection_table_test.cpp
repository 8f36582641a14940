// persistence/collection_table: the conditional writes every collection shares,
// run as one statement each against the throwaway cluster, including against a
// writer that holds the row in another session.
#include <libpq-fe.h>

#include <array>
#include <future>
#include <memory>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "persistence/collection_table.hpp"
#include "support/pg_env.hpp"

using namespace svc;
using namespace std::chrono_literals;

namespace {

const collection_table things{"things", "id, status, version"};

struct thing {
  std::int64_t id = 0;
  std::string status;
  std::int64_t version = 0;
};

thing read_thing(const pg_row& row, int first) {
  return {row[first].as<std::int64_t>(), row[first + 1].as<std::string>(),
          row[first + 2].as<std::int64_t>()};
}

// A conditional update of `things` whose rule refuses any change away from "final".
const std::string update_sql = conditional_update_sql(
  things, {{"status", "COALESCE($2, status)"}}, "$3", "(status <> 'final' OR $2::text IS NULL)");

std::string test_database() {
  static const std::string url = [] {
    auto url = svc_test::fresh_database("collection_table_test");
    pqxx::connection db{url};
    pqxx::nontransaction setup{db};
    setup.exec(
      "CREATE TABLE things (id bigserial PRIMARY KEY, status text NOT NULL, version bigint NOT NULL DEFAULT 1,"
      " updated_at timestamptz NOT NULL DEFAULT now(), deleted_at timestamptz)");
    return url;
  }();
  return url;
}

using connection_ptr = std::unique_ptr<PGconn, decltype(&PQfinish)>;

connection_ptr connect() {
  connection_ptr conn{PQconnectdb(test_database().c_str()), &PQfinish};
  EXPECT_EQ(PQstatus(conn.get()), CONNECTION_OK) << PQerrorMessage(conn.get());
  return conn;
}

pg_rows run(PGconn* conn, const std::string& sql,
            const std::vector<std::optional<std::string>>& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params)
    values.push_back(p ? p->c_str() : nullptr);
  auto* result = PQexecParams(conn, sql.c_str(), static_cast<int>(values.size()), nullptr,
                              values.data(), nullptr, nullptr, 0);
  EXPECT_EQ(PQresultStatus(result), PGRES_TUPLES_OK) << PQresultErrorMessage(result);
  return pg_rows{result};
}

const std::string& sql_of(const std::string& name) {
  static const auto statements = collection_statements(things);
  for (const auto& st : statements)
    if (st.name == name)
      return st.sql;
  throw std::runtime_error("no statement " + name);
}

pg_rows run(PGconn* conn, const db_statement& st) {
  return run(conn, st.sql.empty() ? sql_of(st.name) : st.sql, st.params);
}

std::int64_t new_thing(PGconn* conn, const std::string& status) {
  return run(conn, "INSERT INTO things (status) VALUES ($1) RETURNING id", {status})[0][0]
    .as<std::int64_t>();
}

write_result<thing> update(PGconn* conn, std::int64_t id, std::optional<std::string> status,
                           std::optional<std::string> versions) {
  return written<thing>(
    run(conn, update_sql, {std::to_string(id), std::move(status), std::move(versions)}),
    read_thing);
}

version_precondition if_match(std::string versions) {
  version_precondition p;
  p.required = true;
  p.versions_csv = std::move(versions);
  return p;
}

TEST(CollectionTable, AConditionalUpdateSaysWhyItDidNotWrite) {
  auto conn = connect();
  const auto id = new_thing(conn.get(), "open");

  auto done = update(conn.get(), id, "closed", "1");
  ASSERT_EQ(done.outcome, write_outcome::done);
  EXPECT_EQ(done.value.status, "closed");
  EXPECT_EQ(done.value.version, 2);

  EXPECT_EQ(update(conn.get(), id, "open", "1").outcome, write_outcome::version_mismatch);
  EXPECT_EQ(update(conn.get(), id + 1000, "open", std::nullopt).outcome, write_outcome::not_found);
  EXPECT_EQ(update(conn.get(), id, "final", "7,2").outcome, write_outcome::done)
    << "any listed version matches";

  auto refused = update(conn.get(), id, "open", std::nullopt);
  EXPECT_EQ(refused.outcome, write_outcome::refused);
  EXPECT_EQ(refused.current_status, "final");
  EXPECT_EQ(run(conn.get(), find_statement(things, id))[0][2].as<std::int64_t>(), 3)
    << "nothing written";
}

TEST(CollectionTable, AnUpdateToTheCurrentValuesKeepsVersionAndUpdatedAt) {
  auto conn = connect();
  const auto id = new_thing(conn.get(), "open");
  const std::string updated_at_of = "SELECT updated_at::text FROM things WHERE id = " +
                                    std::to_string(id);
  // A backdated updated_at: an update at the same now() would not show.
  run(conn.get(),
      "UPDATE things SET updated_at = now() - interval '1 hour' WHERE id = $1 RETURNING id",
      {std::to_string(id)});
  const auto before = run(conn.get(), updated_at_of, {})[0][0].as<std::string>();

  auto same = update(conn.get(), id, "open", "1");
  ASSERT_EQ(same.outcome, write_outcome::done) << "the If-Match still holds";
  EXPECT_EQ(same.value.version, 1) << "no value changed";
  EXPECT_EQ(run(conn.get(), updated_at_of, {})[0][0].as<std::string>(), before);
  EXPECT_EQ(update(conn.get(), id, std::nullopt, "1").value.version, 1) << "nothing named";

  auto changed = update(conn.get(), id, "closed", "1");
  ASSERT_EQ(changed.outcome, write_outcome::done);
  EXPECT_EQ(changed.value.version, 2);
  EXPECT_NE(run(conn.get(), updated_at_of, {})[0][0].as<std::string>(), before);
  EXPECT_EQ(update(conn.get(), id, "closed", "1").outcome, write_outcome::version_mismatch)
    << "a stale If-Match is refused even when the values would not change";
}

TEST(CollectionTable, ASoftDeletedRowIsGoneForEveryWrite) {
  auto conn = connect();
  const auto id = new_thing(conn.get(), "open");
  EXPECT_EQ(written(run(conn.get(), delete_statement(things, id, if_match("5")))).outcome,
            write_outcome::version_mismatch);
  EXPECT_EQ(written(run(conn.get(), delete_statement(things, id, if_match("1")))).outcome,
            write_outcome::done);
  EXPECT_EQ(written(run(conn.get(), delete_statement(things, id, {}))).outcome,
            write_outcome::not_found);
  EXPECT_EQ(update(conn.get(), id, "closed", std::nullopt).outcome, write_outcome::not_found);
  EXPECT_TRUE(run(conn.get(), find_statement(things, id)).empty());
  EXPECT_EQ(run(conn.get(), "SELECT count(*) FROM things WHERE id = $1", {std::to_string(id)})[0][0]
              .as<int>(),
            1)
    << "the row stays, marked deleted";
}

// Another session changes the row and commits while the write waits for its
// lock: the write judges the row as that session left it, not as it was when the
// statement began.
TEST(CollectionTable, AWriteBehindAnotherWriterJudgesTheRowItLeft) {
  auto conn = connect();
  auto other = connect();
  const auto bumped = new_thing(conn.get(), "open");
  const auto deleted = new_thing(conn.get(), "open");

  for (const auto& [id, change, expected] :
       {std::tuple{bumped, std::string{"UPDATE things SET version = version + 1 WHERE id = $1"},
                   write_outcome::version_mismatch},
        std::tuple{deleted, std::string{"UPDATE things SET deleted_at = now() WHERE id = $1"},
                   write_outcome::not_found}}) {
    PQclear(PQexec(other.get(), "BEGIN"));
    PQclear(PQexecParams(other.get(), change.c_str(), 1, nullptr,
                         std::array<const char*, 1>{std::to_string(id).c_str()}.data(), nullptr,
                         nullptr, 0));
    auto waiting = std::async(std::launch::async, [&, id = id] {
      auto own = connect();
      return update(own.get(), id, "closed", "1").outcome;
    });
    EXPECT_EQ(waiting.wait_for(300ms), std::future_status::timeout)
      << "the write did not wait for the row's lock";
    PQclear(PQexec(other.get(), "COMMIT"));
    EXPECT_EQ(waiting.get(), expected) << "row " << id;
  }
}

}  // namespace
