// Idempotency-Key support kept in the service's own database, so that a retried
// POST returns the first answer even across restarts and replicas.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "persistence/migrations.hpp"
#include "persistence/statements.hpp"

namespace pqxx {
class transaction_base;
}

namespace svc {

struct stored_response {
  unsigned status = 0;
  std::string body;
  std::string etag;
};

enum class idempotency_state { fresh, replay, mismatch };

struct idempotency_lookup {
  idempotency_state state = idempotency_state::fresh;
  stored_response response;  // set for replay
};

// Call first inside the transaction that performs the write: it serialises
// concurrent requests with the same key and tells whether one already succeeded.
idempotency_lookup begin_idempotent(pqxx::transaction_base& tx, std::string_view scope,
                                    const std::string& key, const std::string& request_body);

// Call in the same transaction once the write succeeded.
void record_idempotent(pqxx::transaction_base& tx, std::string_view scope, const std::string& key,
                       const std::string& request_body, const stored_response& response);

// Deletes at most `limit` keys stored more than `ttl` ago, oldest first; returns
// how many it deleted. A key is kept at least `ttl`: until it is deleted, a
// retry still gets the first answer.
std::int64_t purge_expired_idempotency_keys(pqxx::transaction_base& tx, std::chrono::seconds ttl,
                                            std::int64_t limit);

const statement_list& idempotency_statements();
migration idempotency_migration(int version);
// The index on created_at that lets the purge find expired keys without a scan.
migration idempotency_expiry_migration(int version);

}  // namespace svc
