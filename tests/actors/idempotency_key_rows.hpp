// Rows of idempotency_keys for the janitor's tests, written and read around the
// actors, straight through libpqxx.
#pragma once

#include <string>

#include <pqxx/pqxx>

namespace svc_test {

// Stores key `name` as if answered `age` ago (a PostgreSQL interval, by the
// database's clock, which the retention is measured with).
inline void store_idempotency_key(const std::string& url, const std::string& name,
                                  const std::string& age) {
  pqxx::connection conn{url};
  pqxx::work tx{conn};
  tx.exec_params(
    "INSERT INTO idempotency_keys (scope, key, request_hash, status, body, created_at)"
    " VALUES ('users.create', $1, md5('{}'), 201, '{}', now() - $2::interval)",
    name, age);
  tx.commit();
}

// The stored keys, sorted, comma-separated.
inline std::string stored_idempotency_keys(const std::string& url) {
  pqxx::connection conn{url};
  pqxx::nontransaction tx{conn};
  return tx
    .exec("SELECT coalesce(string_agg(key, ',' ORDER BY key), '') FROM idempotency_keys")[0][0]
    .as<std::string>();
}

}  // namespace svc_test
