#include "persistence/collection_table.hpp"

#include <stdexcept>

#include "persistence/idempotency.hpp"
#include "persistence/paged_list.hpp"

namespace svc {
namespace {

std::string find_name(const collection_table& t) {
  return t.table + "_find";
}

std::string delete_name(const collection_table& t) {
  return t.table + "_delete";
}

// The one shape of every conditional write: `current` is the live row, locked,
// with what decides the outcome; `changed` is the write itself, under the same
// conditions. The single result row reads: version_ok, allowed, status (all NULL
// when there is no live row), then what the write returned (NULL when it did not
// happen). Which of the two runs first does not matter: a row `changed` wrote
// is "done" whatever `current` saw, and a write that did not happen changed nothing
// `current` could see.
std::string conditional_write_sql(const collection_table& t, std::string_view assignments,
                                  std::string_view versions_param, std::string_view rule,
                                  std::string_view returning) {
  const std::string versions{versions_param};
  const std::string version_matches = "(" + versions +
                                      "::text IS NULL OR version = ANY(string_to_array(" +
                                      versions + "::text, ',')::bigint[]))";
  const std::string live = " FROM " + t.table + " WHERE id = $1 AND deleted_at IS NULL";
  return "WITH current AS (SELECT " + version_matches + " AS version_ok, " + std::string{rule} +
         " AS allowed, status" + live +
         " FOR UPDATE),"
         " changed AS (UPDATE " +
         t.table + " SET " + std::string{assignments} +
         " WHERE id = $1 AND deleted_at IS NULL AND " + version_matches + " AND " +
         std::string{rule} + " RETURNING " + std::string{returning} +
         ") SELECT current.version_ok, current.allowed, current.status, changed.*"
         " FROM (SELECT) AS one LEFT JOIN current ON true LEFT JOIN changed ON true";
}

}  // namespace

statement_list collection_statements(const collection_table& t) {
  statement_list s{
    {find_name(t),
     "SELECT " + t.columns + " FROM " + t.table + " WHERE id = $1 AND deleted_at IS NULL"},
    {delete_name(t),
     conditional_write_sql(t, "deleted_at = now(), updated_at = now(), version = version + 1", "$2",
                           "true", "id")},
  };
  for (const auto& st : idempotency_statements())
    s.push_back(st);
  for (auto& st : page_statements(t.table, t.columns))
    s.push_back(std::move(st));
  return s;
}

db_statement find_statement(const collection_table& t, std::int64_t id) {
  return quick_read(named(find_name(t), id));
}

db_statement delete_statement(const collection_table& t, std::int64_t id,
                              const version_precondition& precondition) {
  return named(delete_name(t), id, versions_param(precondition));
}

std::string conditional_update_sql(const collection_table& t,
                                   const std::vector<column_update>& updates,
                                   std::string_view versions_param, std::string_view rule) {
  std::string assignments;
  std::string new_values;
  std::string old_values;
  for (const auto& u : updates) {
    const char* separator = assignments.empty() ? "" : ", ";
    assignments += separator + u.column + " = " + u.expression;
    new_values += separator + u.expression;
    old_values += separator + u.column;
  }
  // In SET, a column names its value before the update.
  const std::string changes = "ROW(" + new_values + ") IS DISTINCT FROM ROW(" + old_values + ")";
  assignments += ", version = version + CASE WHEN " + changes +
                 " THEN 1 ELSE 0 END, updated_at = CASE WHEN " + changes +
                 " THEN now() ELSE updated_at END";
  return conditional_write_sql(t, assignments, versions_param, rule, t.columns);
}

write_result<bool> written(const pg_rows& rows) {
  if (rows.size() != 1)
    throw std::runtime_error("a conditional write answered with " + std::to_string(rows.size()) +
                             " rows");
  const auto row = rows[0];
  if (!row[written_item_column].is_null())
    return {write_outcome::done, true, {}};
  if (row[0].is_null())
    return {write_outcome::not_found, false, {}};
  if (!row[0].as<bool>())
    return {write_outcome::version_mismatch, false, {}};
  if (!row[1].as<bool>())
    return {write_outcome::refused, false, row[2].as<std::string>()};
  return {write_outcome::raced, false, {}};
}

}  // namespace svc
