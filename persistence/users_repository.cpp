#include "persistence/users_repository.hpp"

#include <pqxx/pqxx>

#include "persistence/named_statements.hpp"

#include "persistence/collection_table.hpp"
#include "persistence/idempotency.hpp"
#include "persistence/paged_list.hpp"

namespace svc {
namespace {

#define USER_COLUMNS \
  "id, name, email, age, status, version, " SVC_RFC3339("created_at") ", " SVC_RFC3339("updated_at")

const char* const insert_user_sql = "users_insert";
const char* const update_user_sql = "users_update";

// Reads USER_COLUMNS, starting at column `first` of a row of either kind
// (libpqxx's, or a pipelined connection's pg_row).
template <class Row>
user read_user(const Row& row, int first = 0) {
  user u;
  u.id = row[first].template as<std::int64_t>();
  u.name = row[first + 1].template as<std::string>();
  u.email = row[first + 2].template as<std::string>();
  if (!row[first + 3].is_null())
    u.age = row[first + 3].template as<std::int64_t>();
  u.status = row[first + 4].template as<std::string>();
  u.version = row[first + 5].template as<std::int64_t>();
  u.created_at = row[first + 6].template as<std::string>();
  u.updated_at = row[first + 7].template as<std::string>();
  return u;
}

}  // namespace

const collection_table& users_table() {
  static const collection_table table{"users", USER_COLUMNS};
  return table;
}

const std::vector<migration>& users_migrations() {
  static const std::vector<migration> migrations{
    {1, "users table",
     "CREATE EXTENSION IF NOT EXISTS pg_trgm;"
     "CREATE TABLE users ("
     " id bigserial PRIMARY KEY,"
     " name text NOT NULL,"
     " email text NOT NULL,"
     " age integer CHECK (age BETWEEN 0 AND 150),"
     " status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive')),"
     " version bigint NOT NULL DEFAULT 1,"
     " created_at timestamptz NOT NULL DEFAULT now(),"
     " updated_at timestamptz NOT NULL DEFAULT now(),"
     " deleted_at timestamptz);"
     // Uniqueness among live users only, enforced by the database so that two
     // concurrent creates cannot both win.
     "CREATE UNIQUE INDEX users_email_live_key ON users (lower(email)) WHERE deleted_at IS NULL;"
     "CREATE INDEX users_status_id_idx ON users (status, id DESC) WHERE deleted_at IS NULL;"
     "CREATE INDEX users_name_trgm_idx ON users USING gin (lower(name) gin_trgm_ops)"
     " WHERE deleted_at IS NULL;"
     "CREATE INDEX users_email_trgm_idx ON users USING gin (email gin_trgm_ops)"
     " WHERE deleted_at IS NULL;"},
    idempotency_migration(2),
    live_row_counts_migration(3, "users"),
    // A GIN index's pending list is merged by whichever insert finds it over
    // gin_pending_list_limit: with the 4 MB default that insert took 0.3-3 s
    // under load. 128 kB bounds the merge; fastupdate off instead cost 40 % of
    // the insert rate (docs/PERFORMANCE.md).
    {4, "bounded trigram pending lists, spread counters",
     "ALTER INDEX users_name_trgm_idx SET (gin_pending_list_limit = 128);"
     "ALTER INDEX users_email_trgm_idx SET (gin_pending_list_limit = 128);" +
       spread_live_row_counts_sql()},
    idempotency_expiry_migration(5),
  };
  return migrations;
}

const statement_list& users_statements() {
  static const statement_list statements = [] {
    auto s = collection_statements(users_table());
    s.push_back(
      {insert_user_sql,
       "INSERT INTO users (name, email, age, status) VALUES ($1, $2, $3, $4) RETURNING " USER_COLUMNS});
    s.push_back({update_user_sql, conditional_update_sql(
                                    users_table(),
                                    {{"name", "COALESCE($2, name)"},
                                     {"email", "COALESCE($3, email)"},
                                     {"age", "CASE WHEN $4::boolean THEN $5::integer ELSE age END"},
                                     {"status", "COALESCE($6, status)"}},
                                    "$7")});
    return s;
  }();
  return statements;
}

db_statement insert_user_statement(const user_draft& draft) {
  return committed_together(
    named(insert_user_sql, draft.name, draft.email, draft.age, draft.status));
}

user inserted_user(const pg_rows& rows) {
  return read_user(rows.at(0));
}

user insert_user(pqxx::transaction_base& tx, const user_draft& draft) {
  return read_user(exec_statement(tx, insert_user_statement(draft)).at(0));
}

db_statement find_user_statement(std::int64_t id) {
  return find_statement(users_table(), id);
}

std::optional<user> found_user(const pg_rows& rows) {
  return first_row(rows, [](const auto& row) { return read_user(row); });
}

db_statement list_users_statement(const user_filter& filter) {
  list_spec spec{"users", USER_COLUMNS, filter.status, {}, filter.page};
  if (filter.search) {
    // Name or email: the two trigram indexes (lower(name), email).
    auto pattern = like_pattern(*filter.search);
    spec.conditions.push_back({"(lower(name) LIKE lower({}) OR email LIKE lower({}))", pattern});
  }
  return page_statement(spec);
}

user_page listed_users(const pg_rows& rows) {
  return {
    page_items<user>(rows, [](const pg_row& row, int first) { return read_user(row, first); }),
    page_total(rows)};
}

db_statement update_user_statement(std::int64_t id, const user_patch& patch,
                                   const version_precondition& precondition) {
  std::optional<std::int64_t> age;
  if (patch.age)
    age = *patch.age;
  return named(update_user_sql, id, patch.name, patch.email, patch.age.has_value(), age,
               patch.status, versions_param(precondition));
}

write_result<user> updated_user(const pg_rows& rows) {
  return written<user>(rows, [](const pg_row& row, int first) { return read_user(row, first); });
}

}  // namespace svc
