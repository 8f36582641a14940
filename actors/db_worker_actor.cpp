#include "actors/db_worker_actor.hpp"

#include <chrono>

#include <caf/typed_event_based_actor.hpp>
#include <pqxx/pqxx>
#include "config/secret_mask.hpp"
#include "observability/log.hpp"

namespace svc {
namespace {

using clock = std::chrono::steady_clock;

// The connection and its birth time live together: recycled as one.
struct pooled_connection {
  std::unique_ptr<pqxx::connection> conn;
  clock::time_point opened;
};

std::unique_ptr<pqxx::connection> open_connection(const db_connection_settings& s) {
  auto conn = std::make_unique<pqxx::connection>(s.url);
  // A hung statement must not hold a connection forever.
  conn->set_variable("statement_timeout",
                     std::to_string(std::chrono::milliseconds{s.query_timeout}.count()));
  for (const auto& st : *s.statements)
    conn->prepare(st.name, st.sql);
  return conn;
}

}  // namespace

caf::error make_error(db_failure failure) {
  return caf::error{static_cast<uint8_t>(failure), caf::atom("database")};
}

std::optional<db_failure> db_failure_of(const caf::error& err) {
  if (err.category() != caf::atom("database"))
    return std::nullopt;
  return static_cast<db_failure>(err.code());
}

db_worker_actor::behavior_type db_worker(db_worker_actor::pointer,
                                         db_connection_settings settings) {
  auto slot = std::make_shared<pooled_connection>();
  // Returns false (and logs) when the database cannot be reached.
  auto ensure_connected = [slot, settings]() -> bool {
    if (slot->conn && clock::now() - slot->opened > settings.max_lifetime)
      slot->conn.reset();
    if (slot->conn)
      return true;
    try {
      slot->conn = open_connection(settings);
      slot->opened = clock::now();
      return true;
    } catch (const std::exception& e) {
      log::warn("database connection failed", {{"error", mask_secrets(e.what())}});
      slot->conn.reset();
      return false;
    }
  };
  return {
    [=](execute_atom, db_task& task) -> caf::result<db_value> {
      if (!ensure_connected())
        return make_error(db_failure::unavailable);
      try {
        return db_value{task.run(*slot->conn)};
      } catch (const std::exception& e) {
        auto failure = classify_current_exception();
        if (failure == db_failure::unavailable)
          slot->conn.reset();
        if (failure == db_failure::failed || failure == db_failure::unavailable)
          log::error("database operation failed",
                     {{"operation", task.operation}, {"error", mask_secrets(e.what())}});
        return make_error(failure);
      }
    },
    [=](connect_atom) { return ensure_connected(); },
    [=](reset_atom) { slot->conn.reset(); },
  };
}

}  // namespace svc
