#include "persistence/paged_list.hpp"

#include <pqxx/pqxx>

namespace svc {
namespace {

// Counter rows per status: concurrent inserts spread over them instead of
// queueing on one row lock.
constexpr int counter_slots = 32;

// Writes parameter `number` wherever the condition says `{}`.
std::string with_parameter(std::string sql, std::size_t number) {
  const auto placeholder = "$" + std::to_string(number);
  for (auto at = sql.find("{}"); at != std::string::npos; at = sql.find("{}", at))
    sql.replace(at, 2, placeholder);
  return sql;
}

}  // namespace

pqxx::result fetch_page(pqxx::transaction_base& tx, const list_spec& spec) {
  std::vector<std::string> params;
  std::string where = "deleted_at IS NULL";
  std::string counted_where;
  if (spec.status) {
    params.push_back(*spec.status);
    where += " AND status = $1";
    counted_where = " WHERE status = $1";
  }
  for (const auto& c : spec.conditions) {
    params.push_back(c.value);
    where += " AND " + with_parameter(c.sql, params.size());
  }
  std::string total = spec.conditions.empty()
                        ? "SELECT COALESCE(sum(n), 0)::bigint AS total FROM live_row_counts" + counted_where
                        : "SELECT count(*) AS total FROM " + std::string{spec.table} + " WHERE " + where;
  params.push_back(std::to_string(spec.page.page_size));
  params.push_back(std::to_string(spec.page.offset()));
  auto limit = std::to_string(params.size() - 1);
  auto offset = std::to_string(params.size());
  std::string sql = "SELECT t.total, p.* FROM (" + total + ") t LEFT JOIN LATERAL (SELECT " +
                    std::string{spec.columns} + " FROM " + std::string{spec.table} + " WHERE " +
                    where + " ORDER BY id DESC LIMIT $" + limit + "::bigint OFFSET $" + offset +
                    "::bigint) p ON true";
  return tx.exec_params(sql, pqxx::prepare::make_dynamic_params(params));
}

std::int64_t page_total(const pqxx::result& rows) {
  return rows.empty() ? 0 : rows[0][0].as<std::int64_t>();
}

migration live_row_counts_migration(int version, std::string_view table) {
  const std::string t{table};
  const std::string slots = std::to_string(counter_slots);
  return {
    version, "live row counts of " + t,
    "CREATE TABLE live_row_counts ("
    " status text NOT NULL, slot integer NOT NULL, n bigint NOT NULL,"
    " PRIMARY KEY (status, slot));"
    "CREATE FUNCTION live_row_counts_add(s text, id bigint, delta integer) RETURNS void"
    " LANGUAGE sql AS $$"
    "  INSERT INTO live_row_counts VALUES (s, id % " + slots + ", delta)"
    "  ON CONFLICT (status, slot) DO UPDATE SET n = live_row_counts.n + delta $$;"
    "CREATE FUNCTION count_live_rows() RETURNS trigger LANGUAGE plpgsql AS $$"
    " DECLARE"
    "  was_live boolean := TG_OP <> 'INSERT' AND OLD.deleted_at IS NULL;"
    "  is_live boolean := TG_OP <> 'DELETE' AND NEW.deleted_at IS NULL;"
    " BEGIN"
    "  IF was_live AND is_live THEN"
    "   IF OLD.status = NEW.status THEN RETURN NULL; END IF;"
    // Two counter rows, always locked in status order: two status changes in
    // opposite directions cannot deadlock.
    "   IF OLD.status < NEW.status THEN"
    "    PERFORM live_row_counts_add(OLD.status, OLD.id, -1);"
    "    PERFORM live_row_counts_add(NEW.status, NEW.id, 1);"
    "   ELSE"
    "    PERFORM live_row_counts_add(NEW.status, NEW.id, 1);"
    "    PERFORM live_row_counts_add(OLD.status, OLD.id, -1);"
    "   END IF;"
    "  ELSIF was_live THEN"
    "   PERFORM live_row_counts_add(OLD.status, OLD.id, -1);"
    "  ELSIF is_live THEN"
    "   PERFORM live_row_counts_add(NEW.status, NEW.id, 1);"
    "  END IF;"
    "  RETURN NULL;"
    " END $$;"
    "CREATE TRIGGER " + t + "_live_row_counts AFTER INSERT OR DELETE OR UPDATE OF status, deleted_at"
    " ON " + t + " FOR EACH ROW EXECUTE FUNCTION count_live_rows();"
    // No write runs meanwhile (CREATE TRIGGER already holds off writers until
    // commit): the counters start exact.
    "LOCK TABLE " + t + " IN SHARE MODE;"
    "INSERT INTO live_row_counts SELECT status, id % " + slots + ", count(*) FROM " + t +
    " WHERE deleted_at IS NULL GROUP BY 1, 2;"};
}

}  // namespace svc
