#include "actors/db_worker_actor.hpp"

#include <poll.h>

#include <chrono>

#include "config/secret_mask.hpp"
#include "observability/log.hpp"
#include "persistence/named_statements.hpp"
#include <caf/typed_event_based_actor.hpp>
#include <pqxx/pqxx>

namespace svc {
namespace {

using clock = std::chrono::steady_clock;

// The connection and its birth time live together: recycled as one.
struct pooled_connection {
  std::unique_ptr<pqxx::connection> conn;
  clock::time_point opened;
};

std::unique_ptr<pqxx::connection> open_connection(const db_connection_settings& s,
                                                  const statement_catalog& catalog) {
  auto conn = std::make_unique<pqxx::connection>(s.url);
  if (catalog.mode() == statement_mode::prepared) {
    // A hung statement must not hold a connection forever. A session SET holds
    // on a session of our own (PostgreSQL itself, or a session-mode pooler).
    // Behind a transaction-mode pooler (statement_mode::unnamed) it would land on
    // one server connection that other clients share next, and miss the ones
    // our later transactions run on; PgBouncer 1.18 refuses the startup option
    // (`options=-c statement_timeout=...`) instead of passing it on. There the
    // timeout is the database role's (README, DB pool).
    conn->set_variable("statement_timeout",
                       std::to_string(std::chrono::milliseconds{s.query_timeout}.count()));
    // Registered here, prepared by libpqxx on a statement's first use.
    for (const auto& st : catalog.statements())
      conn->prepare(st.name, st.sql);
  }
  return conn;
}

// Whether the server closed the connection while it sat idle in the pool (a
// restart, pg_terminate_backend, idle_session_timeout): it then sent its FATAL
// message and the end of the stream, and the socket reads ready. Nothing else
// arrives on an idle connection of ours (no LISTEN), and nothing is sent to find
// out, so a dead connection is known before a statement is spent on it.
bool closed_while_idle(const pqxx::connection_base& conn) {
  if (!conn.is_open())
    return true;
  pollfd p{conn.sock(), POLLIN, 0};
  return ::poll(&p, 1, 0) > 0;
}

}  // namespace

caf::error connection_lost_error() {
  return caf::error{1, caf::atom("dbconnlost")};
}

bool is_connection_lost(const caf::error& err) {
  return err.category() == caf::atom("dbconnlost");
}

db_worker_actor::behavior_type db_worker(db_worker_actor::pointer,
                                         const db_connection_settings& settings,
                                         const std::shared_ptr<const statement_catalog>& catalog) {
  auto slot = std::make_shared<pooled_connection>();
  // Opens a fresh connection; false (logged) when the database cannot be reached.
  auto connect = [slot, settings, catalog]() -> bool {
    try {
      slot->conn = open_connection(settings, *catalog);
      slot->opened = clock::now();
      return true;
    } catch (const std::exception& e) {
      log::warn("database connection failed", {{"error", mask_secrets(e.what())}});
      slot->conn.reset();
      return false;
    }
  };
  // Drops a connection past its lifetime or closed by the server meanwhile.
  auto drop_if_unusable = [slot, settings] {
    if (!slot->conn)
      return;
    if (clock::now() - slot->opened > settings.max_lifetime) {
      slot->conn.reset();
    } else if (closed_while_idle(*slot->conn)) {
      log::info("pooled connection was closed by the server while idle; opening a fresh one");
      slot->conn.reset();
    }
  };
  return {
    [=](execute_atom, db_task& task) -> caf::result<db_done> {
      drop_if_unusable();
      const bool reused = slot->conn != nullptr;
      if (!reused && !connect())
        return make_error(db_failure::unavailable);
      try {
        statement_binding binding{*slot->conn, *catalog};
        task.run(*slot->conn);
        return db_done{};
      } catch (const std::exception& e) {
        auto failure = classify_current_exception();
        if (catalog->mode() == statement_mode::prepared && named_statement_lost() &&
            catalog->first_pooler_symptom())
          log::error(
            "a prepared statement is missing on the server or was prepared by another client"
            " (SQLSTATE 26000 or 42P05): a pooler in transaction mode (PgBouncer) between the"
            " service and PostgreSQL cannot carry named statements; set DB_PREPARED_STATEMENTS=false",
            {{"setting", "DB_PREPARED_STATEMENTS"}, {"error", mask_secrets(e.what())}});
        if (failure == db_failure::unavailable) {
          slot->conn.reset();
          // The database is down only if a fresh connection fails too.
          if (reused && connect()) {
            log::warn(
              task.scope,
              "database connection broke during a task; the database answers a fresh connection",
              {{"operation", task.operation}, {"error", mask_secrets(e.what())}});
            return connection_lost_error();
          }
        }
        if (failure == db_failure::failed || failure == db_failure::unavailable)
          log::error(task.scope, "database operation failed",
                     {{"operation", task.operation}, {"error", mask_secrets(e.what())}});
        return make_error(failure);
      }
    },
    [=](connect_atom) {
      drop_if_unusable();
      return slot->conn != nullptr || connect();
    },
    [=](reset_atom) { slot->conn.reset(); },
  };
}

}  // namespace svc
