// SQL for the orders resource. Each function runs inside the caller's transaction;
// statements are prepared once per connection from orders_statements(). Money
// crosses the boundary as NUMERIC text built from integer cents.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "domain/list_query.hpp"
#include "domain/order.hpp"
#include "persistence/migrations.hpp"
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

const std::vector<migration>& orders_migrations();
const statement_list& orders_statements();

order insert_order(pqxx::transaction_base& tx, const order_draft& draft, bool user_validated);
std::optional<order> find_order(pqxx::transaction_base& tx, std::int64_t id);
order_page list_orders(pqxx::transaction_base& tx, const order_filter& filter);
write_result<order> update_order(pqxx::transaction_base& tx, std::int64_t id, const order_patch& patch,
                                 const version_precondition& precondition);
write_result<bool> soft_delete_order(pqxx::transaction_base& tx, std::int64_t id,
                                     const version_precondition& precondition);

}  // namespace svc
