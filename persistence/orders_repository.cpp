#include "persistence/orders_repository.hpp"

#include <pqxx/pqxx>

#include "persistence/named_statements.hpp"

#include "domain/money.hpp"
#include "persistence/collection_table.hpp"
#include "persistence/idempotency.hpp"
#include "persistence/paged_list.hpp"

namespace svc {
namespace {

#define ORDER_COLUMNS                                                              \
  "id, user_id, product_name, quantity, price::text, total_amount::text, status, " \
  "user_check, version, " SVC_RFC3339("created_at") ", " SVC_RFC3339("updated_at")

const char* const insert_order_sql = "orders_insert";
const char* const update_order_sql = "orders_update";
const char* const pending_user_checks_sql = "orders_pending_user_checks";
const char* const settle_user_check_sql = "orders_settle_user_check";

template <class Field>
std::int64_t cents_of(const Field& f) {
  auto cents = parse_cents(f.c_str());
  if (!cents)
    throw std::runtime_error("unexpected amount in the database");
  return *cents;
}

// Reads ORDER_COLUMNS, starting at column `first` of a row of either kind
// (libpqxx's, or a pipelined connection's pg_row).
template <class Row>
order read_order(const Row& row, int first = 0) {
  order o;
  o.id = row[first].template as<std::int64_t>();
  o.user_id = row[first + 1].template as<std::int64_t>();
  o.product_name = row[first + 2].template as<std::string>();
  o.quantity = row[first + 3].template as<std::int64_t>();
  o.price_cents = cents_of(row[first + 4]);
  o.total_cents = cents_of(row[first + 5]);
  o.status = row[first + 6].template as<std::string>();
  o.user_check = row[first + 7].template as<std::string>();
  o.version = row[first + 8].template as<std::int64_t>();
  o.created_at = row[first + 9].template as<std::string>();
  o.updated_at = row[first + 10].template as<std::string>();
  return o;
}

std::optional<std::string> amount_param(const std::optional<std::int64_t>& cents) {
  if (!cents)
    return std::nullopt;
  return format_cents(*cents);
}

// SQL true when the status may go from the row's to `param`: the domain's
// lifecycle, written out once when the statements are built.
std::string status_change_allowed_sql(const std::string& param) {
  std::string pairs;
  for (auto [from, to] : order_status_transitions()) {
    if (!pairs.empty())
      pairs += ", ";
    ((((pairs += "('") += from) += "', '") += to) += "')";
  }
  return "(" + param + "::text IS NULL OR status = " + param + "::text OR (status, " + param +
         "::text) IN (" + pairs + "))";
}

}  // namespace

const collection_table& orders_table() {
  static const collection_table table{"orders", ORDER_COLUMNS};
  return table;
}

const std::vector<migration>& orders_migrations() {
  static const std::vector<migration> migrations{
    {1, "orders table",
     "CREATE EXTENSION IF NOT EXISTS pg_trgm;"
     "CREATE TABLE orders ("
     " id bigserial PRIMARY KEY,"
     " user_id bigint NOT NULL CHECK (user_id >= 1),"
     " product_name text NOT NULL,"
     " quantity integer NOT NULL CHECK (quantity BETWEEN 1 AND 10000),"
     " price numeric(12, 2) NOT NULL CHECK (price > 0 AND price <= 1000000),"
     " total_amount numeric(16, 2) NOT NULL,"
     " status text NOT NULL DEFAULT 'pending'"
     "   CHECK (status IN ('pending', 'confirmed', 'shipped', 'delivered', 'cancelled')),"
     " user_validated boolean NOT NULL DEFAULT false,"
     " version bigint NOT NULL DEFAULT 1,"
     " created_at timestamptz NOT NULL DEFAULT now(),"
     " updated_at timestamptz NOT NULL DEFAULT now(),"
     " deleted_at timestamptz);"
     "CREATE INDEX orders_user_id_idx ON orders (user_id, id DESC) WHERE deleted_at IS NULL;"
     "CREATE INDEX orders_status_id_idx ON orders (status, id DESC) WHERE deleted_at IS NULL;"
     "CREATE INDEX orders_product_trgm_idx ON orders USING gin (lower(product_name) gin_trgm_ops)"
     " WHERE deleted_at IS NULL;"},
    idempotency_migration(2),
    live_row_counts_migration(3, "orders"),
    // Product names share few distinct trigrams, so updating the index in place
    // is cheap; a pending list only added stalls of up to 1 s for the insert
    // that merged it (docs/PERFORMANCE.md). The entries already pending are merged now.
    {4, "trigram index without pending list, spread counters",
     "ALTER INDEX orders_product_trgm_idx SET (fastupdate = off);"
     "SELECT gin_clean_pending_list('orders_product_trgm_idx'::regclass);" +
       spread_live_row_counts_sql()},
    idempotency_expiry_migration(5),
    // user_validated said only yes or "not known"; user_check also tells "not
    // known yet, to be re-checked" from "found missing later". Orders taken
    // unvalidated before this migration are re-checked too. The column starts
    // as 'validated' so that only the unvalidated rows are rewritten.
    {6, "orders user_check",
     "ALTER TABLE orders ADD COLUMN user_check text NOT NULL DEFAULT 'validated'"
     " CHECK (user_check IN ('pending', 'validated', 'user_not_found'));"
     "UPDATE orders SET user_check = 'pending' WHERE NOT user_validated;"
     "ALTER TABLE orders ALTER COLUMN user_check SET DEFAULT 'pending';"
     "CREATE INDEX orders_user_check_pending_idx ON orders (id)"
     " WHERE user_check = 'pending' AND deleted_at IS NULL;"},
  };
  return migrations;
}

const statement_list& orders_statements() {
  static const statement_list statements = [] {
    auto s = collection_statements(orders_table());
    s.push_back(
      {insert_order_sql,
       "INSERT INTO orders (user_id, product_name, quantity, price, total_amount, status,"
       " user_check, user_validated)"
       " VALUES ($1, $2, $3::integer, $4::numeric, $3::integer * $4::numeric, $5, $6, $6 = 'validated')"
       " RETURNING " ORDER_COLUMNS});
    s.push_back(
      {update_order_sql,
       conditional_update_sql(
         orders_table(),
         {{"product_name", "COALESCE($2, product_name)"},
          {"quantity", "COALESCE($3::integer, quantity)"},
          {"price", "COALESCE($4::numeric, price)"},
          {"total_amount", "COALESCE($3::integer, quantity) * COALESCE($4::numeric, price)"},
          {"status", "COALESCE($5, status)"}},
         "$6", status_change_allowed_sql("$5"))});
    s.push_back(
      {pending_user_checks_sql,
       "SELECT id, user_id, version FROM orders"
       " WHERE user_check = 'pending' AND deleted_at IS NULL AND id > $1 ORDER BY id LIMIT $2"});
    // The version read with the row must still be current: an order a client
    // changed meanwhile is left for the next pass, never overwritten.
    s.push_back(
      {settle_user_check_sql,
       "UPDATE orders SET user_check = $3, user_validated = ($3 = 'validated'),"
       " version = version + 1, updated_at = now()"
       " WHERE id = $1 AND version = $2 AND user_check = 'pending' AND deleted_at IS NULL"});
    return s;
  }();
  return statements;
}

db_statement insert_order_statement(const order_draft& draft, std::string_view user_check) {
  return committed_together(named(insert_order_sql, draft.user_id, draft.product_name,
                                  draft.quantity, format_cents(draft.price_cents), draft.status,
                                  std::string{user_check}));
}

order inserted_order(const pg_rows& rows) {
  return read_order(rows.at(0));
}

order insert_order(pqxx::transaction_base& tx, const order_draft& draft,
                   std::string_view user_check) {
  return read_order(exec_statement(tx, insert_order_statement(draft, user_check)).at(0));
}

db_statement find_order_statement(std::int64_t id) {
  return find_statement(orders_table(), id);
}

std::optional<order> found_order(const pg_rows& rows) {
  return first_row(rows, [](const auto& row) { return read_order(row); });
}

db_statement list_orders_statement(const order_filter& filter) {
  list_spec spec{"orders", ORDER_COLUMNS, filter.status, {}, filter.page};
  if (filter.user_id)
    spec.conditions.push_back({"user_id = {}::bigint", std::to_string(*filter.user_id)});
  if (filter.search)
    spec.conditions.push_back({"lower(product_name) LIKE lower({})", like_pattern(*filter.search)});
  return page_statement(spec);
}

order_page listed_orders(const pg_rows& rows) {
  return {
    page_items<order>(rows, [](const pg_row& row, int first) { return read_order(row, first); }),
    page_total(rows)};
}

db_statement update_order_statement(std::int64_t id, const order_patch& patch,
                                    const version_precondition& precondition) {
  return named(update_order_sql, id, patch.product_name, patch.quantity,
               amount_param(patch.price_cents), patch.status, versions_param(precondition));
}

write_result<order> updated_order(const pg_rows& rows) {
  return written<order>(rows, [](const pg_row& row, int first) { return read_order(row, first); });
}

std::vector<pending_user_check> pending_user_checks(pqxx::transaction_base& tx,
                                                    std::int64_t after_id, std::int64_t limit) {
  std::vector<pending_user_check> pending;
  for (const auto& row : exec_named(tx, pending_user_checks_sql, after_id, limit))
    pending.push_back(
      {row[0].template as<std::int64_t>(), row[1].as<std::int64_t>(), row[2].as<std::int64_t>()});
  return pending;
}

bool settle_user_check(pqxx::transaction_base& tx, const pending_user_check& order,
                       std::string_view outcome) {
  return exec_named(tx, settle_user_check_sql, order.order_id, order.version, std::string{outcome})
           .affected_rows() == 1;
}

}  // namespace svc
