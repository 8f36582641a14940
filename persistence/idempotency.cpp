#include "persistence/idempotency.hpp"

#include <pqxx/pqxx>

#include "persistence/named_statements.hpp"

namespace svc {
namespace {

const char* const lock_key = "idempotency_lock";
const char* const find_key = "idempotency_find";
const char* const store_key = "idempotency_store";
const char* const purge_key = "idempotency_purge";

}  // namespace

const statement_list& idempotency_statements() {
  static const statement_list statements{
    {lock_key, "SELECT pg_advisory_xact_lock(hashtextextended($1 || ':' || $2, 0))"},
    {find_key,
     "SELECT request_hash = md5($3), status, body, etag FROM idempotency_keys"
     " WHERE scope = $1 AND key = $2"},
    {store_key,
     "INSERT INTO idempotency_keys (scope, key, request_hash, status, body, etag)"
     " VALUES ($1, $2, md5($3), $4, $5, $6)"},
    {purge_key,
     "DELETE FROM idempotency_keys WHERE (scope, key) IN (SELECT scope, key FROM idempotency_keys"
     " WHERE created_at < now() - make_interval(secs => $1::double precision)"
     " ORDER BY created_at LIMIT $2::bigint)"},
  };
  return statements;
}

migration idempotency_migration(int version) {
  return {version, "idempotency keys",
          "CREATE TABLE idempotency_keys ("
          " scope text NOT NULL,"
          " key text NOT NULL,"
          " request_hash text NOT NULL,"
          " status integer NOT NULL,"
          " body text NOT NULL,"
          " etag text NOT NULL DEFAULT '',"
          " created_at timestamptz NOT NULL DEFAULT now(),"
          " PRIMARY KEY (scope, key))"};
}

migration idempotency_expiry_migration(int version) {
  return {version, "idempotency key expiry",
          "CREATE INDEX idempotency_keys_created_at_idx ON idempotency_keys (created_at)"};
}

std::int64_t purge_expired_idempotency_keys(pqxx::transaction_base& tx, std::chrono::seconds ttl,
                                            std::int64_t limit) {
  return static_cast<std::int64_t>(
    exec_named(tx, purge_key, static_cast<std::int64_t>(ttl.count()), limit).affected_rows());
}

idempotency_lookup begin_idempotent(pqxx::transaction_base& tx, std::string_view scope,
                                    const std::string& key, const std::string& request_body) {
  std::string scope_text{scope};
  exec_named(tx, lock_key, scope_text, key);
  auto rows = exec_named(tx, find_key, scope_text, key, request_body);
  idempotency_lookup result;
  if (rows.empty())
    return result;
  const auto& row = rows[0];
  if (!row[0].as<bool>()) {
    result.state = idempotency_state::mismatch;
    return result;
  }
  result.state = idempotency_state::replay;
  result.response.status = row[1].as<unsigned>();
  result.response.body = row[2].as<std::string>();
  result.response.etag = row[3].as<std::string>();
  return result;
}

void record_idempotent(pqxx::transaction_base& tx, std::string_view scope, const std::string& key,
                       const std::string& request_body, const stored_response& response) {
  exec_named(tx, store_key, std::string{scope}, key, request_body, response.status, response.body,
             response.etag);
}

}  // namespace svc
