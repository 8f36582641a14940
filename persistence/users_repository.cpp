#include "persistence/users_repository.hpp"

#include <pqxx/pqxx>

#include "persistence/named_statements.hpp"

#include "persistence/idempotency.hpp"
#include "persistence/paged_list.hpp"

namespace svc {
namespace {

#define USER_COLUMNS \
  "id, name, email, age, status, version, " SVC_RFC3339("created_at") ", " SVC_RFC3339("updated_at")

const char* const insert_user_sql = "users_insert";
const char* const find_user_sql = "users_find";
const char* const update_user_sql = "users_update";
const char* const delete_user_sql = "users_delete";
const char* const user_exists_sql = "users_exists";

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

bool user_exists(pqxx::transaction_base& tx, std::int64_t id) {
  return !exec_named(tx, user_exists_sql, id).empty();
}

}  // namespace

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
    statement_list s{
      {insert_user_sql,
       "INSERT INTO users (name, email, age, status) VALUES ($1, $2, $3, $4)"
       " RETURNING " USER_COLUMNS},
      {find_user_sql, "SELECT " USER_COLUMNS " FROM users WHERE id = $1 AND deleted_at IS NULL"},
      {update_user_sql,
       "UPDATE users SET"
       " name = COALESCE($2, name),"
       " email = COALESCE($3, email),"
       " age = CASE WHEN $4::boolean THEN $5::integer ELSE age END,"
       " status = COALESCE($6, status),"
       " version = version + 1, updated_at = now()"
       " WHERE id = $1 AND deleted_at IS NULL AND " SVC_VERSION_MATCHES("$7")
       " RETURNING " USER_COLUMNS},
      {delete_user_sql,
       "UPDATE users SET deleted_at = now(), updated_at = now(), version = version + 1"
       " WHERE id = $1 AND deleted_at IS NULL AND " SVC_VERSION_MATCHES("$2")},
      {user_exists_sql, "SELECT 1 FROM users WHERE id = $1 AND deleted_at IS NULL"},
    };
    for (const auto& st : idempotency_statements())
      s.push_back(st);
    for (auto& st : page_statements("users", USER_COLUMNS))
      s.push_back(std::move(st));
    return s;
  }();
  return statements;
}

db_statement insert_user_statement(const user_draft& draft) {
  return named(insert_user_sql, draft.name, draft.email, draft.age, draft.status);
}

user inserted_user(const pg_rows& rows) {
  return read_user(rows.at(0));
}

user insert_user(pqxx::transaction_base& tx, const user_draft& draft) {
  return read_user(exec_statement(tx, insert_user_statement(draft)).at(0));
}

db_statement find_user_statement(std::int64_t id) {
  return named(find_user_sql, id);
}

std::optional<user> found_user(const pg_rows& rows) {
  return first_row(rows, [](const auto& row) { return read_user(row); });
}

std::optional<user> find_user(pqxx::transaction_base& tx, std::int64_t id) {
  return first_row(exec_statement(tx, find_user_statement(id)), [](const auto& row) { return read_user(row); });
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
  return {page_items<user>(rows, [](const pg_row& row, int first) { return read_user(row, first); }),
          page_total(rows)};
}

write_result<user> update_user(pqxx::transaction_base& tx, std::int64_t id, const user_patch& patch,
                               const version_precondition& precondition) {
  std::optional<std::int64_t> age;
  if (patch.age)
    age = *patch.age;
  auto rows = exec_named(tx, update_user_sql, id, patch.name, patch.email, patch.age.has_value(),
                             age, patch.status, versions_param(precondition));
  if (rows.empty())
    return {user_exists(tx, id) ? write_outcome::version_mismatch : write_outcome::not_found, {}};
  return {write_outcome::done, read_user(rows[0])};
}

write_result<bool> soft_delete_user(pqxx::transaction_base& tx, std::int64_t id,
                                    const version_precondition& precondition) {
  auto rows = exec_named(tx, delete_user_sql, id, versions_param(precondition));
  if (rows.affected_rows() == 0)
    return {user_exists(tx, id) ? write_outcome::version_mismatch : write_outcome::not_found, false};
  return {write_outcome::done, true};
}

}  // namespace svc
