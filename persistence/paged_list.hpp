// One page of a resource list and its total, read in ONE statement: one round
// trip, one snapshot (the total always agrees with the page).
//
// A filtered list's SQL names only the filters a request gives, and is planned
// with its actual values (not prepared): a catch-all prepared statement such as
// "($1 IS NULL OR status = $1)" makes PostgreSQL's generic plan give up its
// indexes, and a LIKE pattern decides between the trigram index and walking the
// primary key. Without a search, the total comes from `live_row_counts`, a
// per-status counter kept by a trigger, so the first page of a million-row table
// costs no count(*) scan.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/list_query.hpp"
#include "persistence/migrations.hpp"
#include "persistence/statements.hpp"

#include "persistence/pg_rows.hpp"

namespace svc {

// A filter on the listed table with one parameter, written as `{}` wherever it
// is used (e.g. "user_id = {}::bigint"). Any such filter means the total is counted from the
// table itself: live_row_counts only knows totals per status.
struct list_condition {
  std::string sql;
  std::string value;
};

struct list_spec {
  std::string_view table;    // e.g. "users": columns id, status, deleted_at
  std::string_view columns;  // the select list of one item
  std::optional<std::string> status;
  std::vector<list_condition> conditions;  // the other filters (search, user_id, ...)
  page_request page;
};

// The list as one statement. Each row of its result: column 0 the total, then the
// item's columns; a page past the end (or an empty list) is one row whose item
// columns are all NULL. A list without conditions (at most a status) is one of
// the named statements of page_statements().
db_statement page_statement(const list_spec& spec);

// The prepared statements of a list without conditions, all pages, with and
// without a status, for `table` and its item `columns` (the same as in the
// list_spec). Their plan does not depend on the values (walk the primary key, or
// the status index, backwards; the total from live_row_counts), so preparing them
// loses nothing and saves PostgreSQL the parse and analysis of every request
// (pgbench: 10.2k -> 15.6k first pages a second, docs/PERFORMANCE.md). PostgreSQL
// still plans each execution: with LIMIT and OFFSET as parameters it prices the
// generic plan for 10 % of the table and keeps choosing custom plans.
statement_list page_statements(std::string_view table, std::string_view columns);

// The total of a page_statement's result (0 when it has no rows).
std::int64_t page_total(const pg_rows& rows);

// Reads the items of a page_statement's result with `read(row, first_column)`.
template <class Item, class Read>
std::vector<Item> page_items(const pg_rows& rows, Read read) {
  std::vector<Item> items;
  for (const auto& row : rows)
    if (!row[1].is_null())
      items.push_back(read(row, 1));
  return items;
}

// The migration that adds `live_row_counts` and its trigger to `table` (whose
// rows have id, status and deleted_at), filled from the rows already there.
migration live_row_counts_migration(int version, std::string_view table);

// The SQL that spreads the `live_row_counts` rows over more pages (fillfactor
// 10): every write updates one of them, and with all of them on one page the
// writers queued for that page and its pruning (measured in docs/PERFORMANCE.md).
// Part of a later migration of each service, after live_row_counts_migration.
std::string spread_live_row_counts_sql();

}  // namespace svc
