// SQL for the users resource: single statements as data (db_statement) with the
// readers of their rows, and the writes that run inside the caller's transaction.
// Its named statements are users_statements() (prepared per connection, or sent
// unnamed: DB_PREPARED_STATEMENTS).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "domain/list_query.hpp"
#include "domain/user.hpp"
#include "persistence/collection_table.hpp"
#include "persistence/migrations.hpp"
#include "persistence/pg_rows.hpp"
#include "persistence/statements.hpp"
#include "persistence/versioned_rows.hpp"

namespace pqxx {
class transaction_base;
}

namespace svc {

struct user_filter {
  page_request page;
  std::optional<std::string> status;
  std::optional<std::string> search;
};

struct user_page {
  std::vector<user> items;
  std::int64_t total = 0;
};

const collection_table& users_table();
const std::vector<migration>& users_migrations();
const statement_list& users_statements();

// Single statements, for the pool's pipelined connections (db_query), each with
// the reader of its rows.
db_statement insert_user_statement(const user_draft& draft);
user inserted_user(const pg_rows& rows);
db_statement find_user_statement(std::int64_t id);
std::optional<user> found_user(const pg_rows& rows);
db_statement list_users_statement(const user_filter& filter);
user_page listed_users(const pg_rows& rows);
db_statement update_user_statement(std::int64_t id, const user_patch& patch,
                                   const version_precondition& precondition);
write_result<user> updated_user(const pg_rows& rows);
// Deleting is the table's own: delete_statement(users_table(), ...).

// Inside a transaction (a create with Idempotency-Key).
user insert_user(pqxx::transaction_base& tx, const user_draft& draft);

}  // namespace svc
