// SQL for the orders resource: single statements as data (db_statement) with the
// readers of their rows, and the writes that run inside the caller's transaction.
// Its named statements are orders_statements() (prepared per connection, or sent
// unnamed: DB_PREPARED_STATEMENTS). Money crosses the
// boundary as NUMERIC text built from integer cents.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "domain/list_query.hpp"
#include "domain/order.hpp"
#include "persistence/collection_table.hpp"
#include "persistence/migrations.hpp"
#include "persistence/pg_rows.hpp"
#include "persistence/statements.hpp"
#include "persistence/versioned_rows.hpp"

namespace pqxx {
class transaction_base;
}

namespace svc {

struct order_filter {
  page_request page;
  std::optional<std::string> status;
  std::optional<std::int64_t> user_id;
  std::optional<std::string> search;
};

struct order_page {
  std::vector<order> items;
  std::int64_t total = 0;
};

const collection_table& orders_table();
const std::vector<migration>& orders_migrations();
const statement_list& orders_statements();

// Single statements, for the pool's pipelined connections (db_query), each with
// the reader of its rows. `user_check` is one of order_user_checks().
db_statement insert_order_statement(const order_draft& draft, std::string_view user_check);
order inserted_order(const pg_rows& rows);
db_statement find_order_statement(std::int64_t id);
std::optional<order> found_order(const pg_rows& rows);
db_statement list_orders_statement(const order_filter& filter);
order_page listed_orders(const pg_rows& rows);
// A status change the lifecycle refuses is write_outcome::refused, with the
// order's current status in current_status.
db_statement update_order_statement(std::int64_t id, const order_patch& patch,
                                    const version_precondition& precondition);
write_result<order> updated_order(const pg_rows& rows);
// Deleting is the table's own: delete_statement(orders_table(), ...).

// Inside a transaction (a create with Idempotency-Key).
order insert_order(pqxx::transaction_base& tx, const order_draft& draft,
                   std::string_view user_check);

// An order taken while user-service could not say whether its user exists.
struct pending_user_check {
  std::int64_t order_id = 0;
  std::int64_t user_id = 0;
  std::int64_t version = 0;
};

// Live orders with user_check "pending" and an id above `after_id`, oldest first.
std::vector<pending_user_check> pending_user_checks(pqxx::transaction_base& tx,
                                                    std::int64_t after_id, std::int64_t limit);

// Records what user-service said ("validated" or "user_not_found"); false when
// the order changed since it was read (or was deleted), which leaves it pending.
bool settle_user_check(pqxx::transaction_base& tx, const pending_user_check& order,
                       std::string_view outcome);

}  // namespace svc
