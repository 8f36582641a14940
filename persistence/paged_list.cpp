#include "persistence/paged_list.hpp"

namespace svc {
namespace {

// Counter rows per status: concurrent inserts spread over them instead of
// queueing on one row lock.
constexpr int counter_slots = 32;
// From this many rows skipped on, walking to a page takes long enough at a large
// table (milliseconds per 10 000) that the page counts as a read that may run long.
constexpr std::int64_t deep_page_offset = 10'000;

// Writes parameter `number` wherever the condition says `{}`.
std::string with_parameter(std::string sql, std::size_t number) {
  // Appended, not "$" + to_string(...): GCC 12's -Wrestrict misfires on that
  // operator+ once it is inlined here (a known false positive).
  std::string placeholder{"$"};
  placeholder += std::to_string(number);
  for (auto at = sql.find("{}"); at != std::string::npos; at = sql.find("{}", at))
    sql.replace(at, 2, placeholder);
  return sql;
}

// The total from the counters, the page by walking the primary key (or the status
// index) backwards: both cost the same at any table size. `status` is "$1" or
// empty; `limit` and `offset` the parameters of the page.
std::string counted_page_sql(std::string_view table, std::string_view columns,
                             const std::string& status, const std::string& limit,
                             const std::string& offset) {
  const auto counted_where = status.empty() ? std::string{} : " WHERE status = " + status;
  const auto status_filter = status.empty() ? std::string{} : " AND status = " + status;
  return "SELECT t.total, p.* FROM (SELECT COALESCE(sum(n), 0)::bigint AS total"
         " FROM live_row_counts" +
         counted_where + ") t LEFT JOIN LATERAL (SELECT " + std::string{columns} + " FROM " +
         std::string{table} + " WHERE deleted_at IS NULL" + status_filter +
         " ORDER BY id DESC LIMIT " + limit + "::bigint OFFSET " + offset + "::bigint) p ON true";
}

std::string page_statement_name(std::string_view table, bool by_status) {
  return std::string{table} + (by_status ? "_page_by_status" : "_page");
}

}  // namespace

statement_list page_statements(std::string_view table, std::string_view columns) {
  return {{page_statement_name(table, false), counted_page_sql(table, columns, "", "$1", "$2")},
          {page_statement_name(table, true), counted_page_sql(table, columns, "$1", "$2", "$3")}};
}

db_statement page_statement(const list_spec& spec) {
  if (spec.conditions.empty()) {
    const auto size = static_cast<std::int64_t>(spec.page.page_size);
    const auto offset = static_cast<std::int64_t>(spec.page.offset());
    auto statement = spec.status
                       ? named(page_statement_name(spec.table, true), *spec.status, size, offset)
                       : named(page_statement_name(spec.table, false), size, offset);
    statement.may_run_long = offset >= deep_page_offset;
    return statement;
  }
  std::vector<std::optional<std::string>> params;
  std::string where = "deleted_at IS NULL";
  if (spec.status) {
    params.push_back(*spec.status);
    where += " AND status = $1";
  }
  for (const auto& c : spec.conditions) {
    params.push_back(c.value);
    where += " AND " + with_parameter(c.sql, params.size());
  }
  params.push_back(std::to_string(spec.page.page_size));
  params.push_back(std::to_string(spec.page.offset()));
  const auto page = " ORDER BY id DESC LIMIT $" + std::to_string(params.size() - 1) +
                    "::bigint OFFSET $" + std::to_string(params.size()) + "::bigint";
  const std::string table{spec.table}, columns{spec.columns};
  // The filter is evaluated once (a trigram search costs the same for the count
  // as for the page), its ids kept for both.
  const auto sql = "WITH matches AS MATERIALIZED (SELECT id FROM " + table + " WHERE " + where +
                   ") SELECT t.total, p.* FROM (SELECT count(*) AS total FROM matches) t"
                   " LEFT JOIN LATERAL (SELECT " +
                   columns + " FROM " + table + " WHERE id IN (SELECT id FROM matches" + page +
                   ") ORDER BY id DESC) p ON true";
  // A filter (a search above all) may have to look at every row.
  db_statement statement{{}, sql, std::move(params)};
  statement.may_run_long = true;
  return statement;
}

std::int64_t page_total(const pg_rows& rows) {
  return rows.empty() ? 0 : rows[0][0].as<std::int64_t>();
}

migration live_row_counts_migration(int version, std::string_view table) {
  const std::string t{table};
  const std::string slots = std::to_string(counter_slots);
  // Statement-level triggers over transition tables: one counter update per
  // statement and (status, slot), not per row. A row-level trigger made a bulk
  // insert quadratic: every row added a version to the same few counter rows,
  // none prunable before the inserting transaction ends. Counter rows are
  // written in (status, slot) order, so concurrent writers cannot deadlock.
  const std::string add_counts =
    " ORDER BY 1, 2 ON CONFLICT (status, slot) DO UPDATE SET n = live_row_counts.n + excluded.n;";
  const std::string live_slots = "SELECT status, id % " + slots + " AS slot, ";
  return {
    version, "live row counts of " + t,
    "CREATE TABLE live_row_counts ("
    " status text NOT NULL, slot integer NOT NULL, n bigint NOT NULL,"
    " PRIMARY KEY (status, slot));"
    "CREATE FUNCTION count_live_rows() RETURNS trigger LANGUAGE plpgsql AS $$"
    " BEGIN"
    "  IF TG_OP = 'INSERT' THEN"
    "   INSERT INTO live_row_counts " +
      live_slots +
      "count(*) FROM new_rows"
      "    WHERE deleted_at IS NULL GROUP BY 1, 2" +
      add_counts +
      "  ELSIF TG_OP = 'DELETE' THEN"
      "   INSERT INTO live_row_counts " +
      live_slots +
      "-count(*) FROM old_rows"
      "    WHERE deleted_at IS NULL GROUP BY 1, 2" +
      add_counts +
      "  ELSE"
      "   INSERT INTO live_row_counts SELECT status, slot, sum(delta) FROM ("
      "    " +
      live_slots +
      "-1 AS delta FROM old_rows WHERE deleted_at IS NULL"
      "    UNION ALL " +
      live_slots +
      "1 FROM new_rows WHERE deleted_at IS NULL) d"
      "    GROUP BY 1, 2 HAVING sum(delta) <> 0" +
      add_counts +
      "  END IF;"
      "  RETURN NULL;"
      " END $$;"
      "CREATE TRIGGER " +
      t + "_count_inserts AFTER INSERT ON " + t +
      " REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION count_live_rows();"
      "CREATE TRIGGER " +
      t + "_count_updates AFTER UPDATE ON " + t +
      " REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows"
      " FOR EACH STATEMENT EXECUTE FUNCTION count_live_rows();"
      "CREATE TRIGGER " +
      t + "_count_deletes AFTER DELETE ON " + t +
      " REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION count_live_rows();"
      // No write runs meanwhile (CREATE TRIGGER already holds off writers until
      // commit): the counters start exact.
      "LOCK TABLE " +
      t +
      " IN SHARE MODE;"
      "INSERT INTO live_row_counts SELECT status, id % " +
      slots + ", count(*) FROM " + t + " WHERE deleted_at IS NULL GROUP BY 1, 2;"};
}

std::string spread_live_row_counts_sql() {
  // fillfactor applies to rows written from now on, so write them again. The lock
  // holds off the triggers of writers still running (another replica) until commit.
  return "LOCK TABLE live_row_counts IN EXCLUSIVE MODE;"
         "ALTER TABLE live_row_counts SET (fillfactor = 10);"
         "CREATE TEMPORARY TABLE live_row_counts_copy ON COMMIT DROP AS"
         " SELECT * FROM live_row_counts;"
         "DELETE FROM live_row_counts;"
         "INSERT INTO live_row_counts SELECT * FROM live_row_counts_copy ORDER BY status, slot;";
}

}  // namespace svc
