// What the tables of every collection resource (users, orders, ...) share: live
// rows (`deleted_at IS NULL`), a version per row (the ETag that If-Match names)
// and a status; and the statements that need nothing else to be written: find by
// id, soft delete, the lists, and the shape of a conditional update.
//
// A conditional write is ONE statement, so that it runs on the pool's pipelined
// connections like a read: it locks the live row (FOR UPDATE: under READ
// COMMITTED that reads the newest committed version, after any writer ahead of
// it), writes it only when the If-Match versions and the resource's rule allow,
// and reports why not otherwise: no live row, a stale version, or the rule.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "persistence/pg_rows.hpp"
#include "persistence/statements.hpp"
#include "persistence/versioned_rows.hpp"

namespace svc {

struct collection_table {
  std::string table;    // e.g. "users": columns id, status, version, deleted_at, updated_at
  std::string columns;  // the select list of one item
};

// "<table>_find", "<table>_delete", the lists (page_statements) and the
// idempotency records' statements: every collection's catalog starts with these.
statement_list collection_statements(const collection_table& t);

db_statement find_statement(const collection_table& t, std::int64_t id);
db_statement delete_statement(const collection_table& t, std::int64_t id,
                              const version_precondition& precondition);

// One column a conditional update sets: `column = expression`, the expression in
// the statement's parameters and the row's current values (e.g. "COALESCE($2, name)").
struct column_update {
  std::string column;
  std::string expression;
};

// The SQL of a conditional update of row $1: `updates` (version and updated_at are
// added: moved on only when a column's value changes, so that a PUT of the values a
// resource already has leaves its ETag, and other clients' If-Match, as they were),
// the If-Match versions in `versions_param` (see versions_param()), and `rule`, an
// SQL condition on the current row that must hold too (e.g. the order status
// lifecycle). Its result is read by written().
std::string conditional_update_sql(const collection_table& t,
                                   const std::vector<column_update>& updates,
                                   std::string_view versions_param, std::string_view rule = "true");

// The outcome of a conditional write (delete_statement, conditional_update_sql)
// and, for an update that was done, the item as `read(row, first_column)` reads it.
template <class Item, class Read>
write_result<Item> written(const pg_rows& rows, Read read);

// The outcome alone, with the row's status when the rule refused the change.
write_result<bool> written(const pg_rows& rows);

// Where a conditional write's result has the written item's columns.
inline constexpr int written_item_column = 3;

template <class Item, class Read>
write_result<Item> written(const pg_rows& rows, Read read) {
  auto outcome = written(rows);
  write_result<Item> result{outcome.outcome, {}, std::move(outcome.current_status)};
  if (result.outcome == write_outcome::done)
    result.value = read(rows.at(0), written_item_column);
  return result;
}

}  // namespace svc
