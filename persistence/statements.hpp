// Named SQL statements: each repository lists its own; a pool runs them through
// one catalog (persistence/named_statements.hpp), prepared once per connection or
// sent unnamed, as DB_PREPARED_STATEMENTS says.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace svc {

struct named_statement {
  std::string name;
  std::string sql;
};

using statement_list = std::vector<named_statement>;

// One execution of a statement, as data: what a repository asks and either
// executor runs (exec_statement on a libpqxx transaction, or the pool's
// pipelined connections). Parameters travel as PostgreSQL text; nullopt is NULL.
struct db_statement {
  std::string name;  // a named statement of the pool's catalog, or empty:
  std::string sql;   // then this SQL is sent unnamed (a list whose filters vary)
  std::vector<std::optional<std::string>> params;
  // How a pipelined connection may send it (persistence/pg_pipeline.hpp).
  enum class batching : std::uint8_t {
    // With a sync of its own: its own transaction, answered as soon as it ends.
    alone,
    // A read that changes nothing and is quick at any table size (by primary
    // key): sent under one sync with other quick reads, and sent again when
    // their batch aborted before it ran. Not for a read that may run long (a
    // search, a deep page): the server answers a batch only at its end, so a
    // slow read would hold back the answers of the quick ones sent with it.
    quick_read,
    // A single-statement write (an insert) that may commit in one transaction
    // with others: one WAL flush for the batch. It is answered once the batch
    // committed; when any statement of the batch failed, nothing of it was
    // committed, and it runs again alone.
    committed_together,
  };
  batching batch = batching::alone;
  // A read that may run long at a large table (a search, a deep page). PostgreSQL
  // runs one connection's statements one after another, so it goes to a
  // connection kept for such reads (actors/db_pool_pipelines.hpp), where no quick
  // statement waits behind it.
  bool may_run_long = false;
};

// Parameters as PostgreSQL text.
inline std::optional<std::string> sql_param(std::int64_t v) {
  return std::to_string(v);
}
inline std::optional<std::string> sql_param(std::string v) {
  return v;
}
inline std::optional<std::string> sql_param(const char* v) {
  return std::string{v};
}
inline std::optional<std::string> sql_param(bool v) {
  return v ? "true" : "false";
}
inline std::optional<std::string> sql_param(std::optional<std::string> v) {
  return v;
}
template <class T>
std::optional<std::string> sql_param(const std::optional<T>& v) {
  return v ? sql_param(*v) : std::nullopt;
}

template <class... Args>
db_statement named(std::string name, Args&&... args) {
  return {std::move(name), {}, {sql_param(std::forward<Args>(args))...}};
}

// `statement`, marked as a quick read (db_statement::batching::quick_read).
inline db_statement quick_read(db_statement statement) {
  statement.batch = db_statement::batching::quick_read;
  return statement;
}

// `statement`, marked as a write that may commit with others
// (db_statement::batching::committed_together).
inline db_statement committed_together(db_statement statement) {
  statement.batch = db_statement::batching::committed_together;
  return statement;
}

// How a pool sends its named statements. `prepared`: each connection prepares
// them under their names (a parse and plan saved per execution). `unnamed`: the
// SQL text goes with every execution as libpq's unnamed statement, which a
// transaction-mode pooler (PgBouncer) can carry: it hands each transaction to
// any server connection, where a name prepared on another one does not exist
// (SQLSTATE 26000) or was prepared by another client already (42P05).
enum class statement_mode { prepared, unnamed };

// The statements of one pool, by name, with the pool's mode. Shared read-only by
// its connections.
class statement_catalog {
public:
  statement_catalog(statement_list statements, statement_mode mode);

  statement_mode mode() const noexcept { return mode_; }
  const statement_list& statements() const noexcept { return statements_; }
  // The SQL of `name`; nullptr when the catalog has no such statement.
  const std::string* sql_of(const std::string& name) const;

  // True the first time only: the pool names the pooler symptom once, not on
  // every failing request.
  bool first_pooler_symptom() const noexcept { return !pooler_symptom_seen_.exchange(true); }

private:
  statement_list statements_;
  statement_mode mode_;
  std::unordered_map<std::string, std::string> by_name_;
  mutable std::atomic<bool> pooler_symptom_seen_{false};
};

// The time stamp format of the contract (RFC 3339, UTC), rendered by PostgreSQL.
#define SVC_RFC3339(column) \
  "to_char(" column " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

}  // namespace svc
