// SQL for the users resource. Each function runs inside the caller's transaction;
// its named statements are users_statements(), run by exec_named (prepared per
// connection, or sent unnamed: DB_PREPARED_STATEMENTS).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "domain/list_query.hpp"
#include "domain/user.hpp"
#include "persistence/migrations.hpp"
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

const std::vector<migration>& users_migrations();
const statement_list& users_statements();

user insert_user(pqxx::transaction_base& tx, const user_draft& draft);
std::optional<user> find_user(pqxx::transaction_base& tx, std::int64_t id);
user_page list_users(pqxx::transaction_base& tx, const user_filter& filter);
write_result<user> update_user(pqxx::transaction_base& tx, std::int64_t id, const user_patch& patch,
                               const version_precondition& precondition);
write_result<bool> soft_delete_user(pqxx::transaction_base& tx, std::int64_t id,
                                    const version_precondition& precondition);

}  // namespace svc
