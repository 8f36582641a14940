// Real actors on a real scheduler against the throwaway PostgreSQL cluster.
#pragma once

#include <chrono>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>
#include <pqxx/pqxx>

#include "actors/db_pool_actor.hpp"
#include "actors/resource_actor.hpp"
#include "persistence/migrations.hpp"
#include "pg_env.hpp"

namespace svc_test {

// A database of its own for one test binary, created empty.
inline std::string fresh_database(const std::string& name) {
  pqxx::connection admin{database_url("postgres")};
  pqxx::nontransaction tx{admin};
  tx.exec("DROP DATABASE IF EXISTS " + tx.quote_name(name) + " WITH (FORCE)");
  tx.exec("CREATE DATABASE " + tx.quote_name(name));
  return database_url(name);
}

inline void migrate(const std::string& url, const std::vector<svc::migration>& migrations,
                    const std::string& service = "service-under-test") {
  pqxx::connection conn{url};
  svc::apply_migrations(conn, service, migrations);
}

inline svc::db_pool_config pool_config(const std::string& url, const svc::statement_list& statements,
                                       std::size_t min_idle = 2, std::size_t max = 8) {
  svc::db_pool_config cfg;
  cfg.connection.url = url;
  cfg.connection.query_timeout = std::chrono::seconds{5};
  cfg.connection.statements = std::make_shared<const svc::statement_list>(statements);
  cfg.min_idle = min_idle;
  cfg.max_size = max;
  cfg.acquire_timeout = std::chrono::milliseconds{500};
  return cfg;
}

// Waits (bounded) for `check` to become true, sleeping between attempts.
template <class Check>
bool eventually(Check check, int attempts = 100, std::chrono::milliseconds pause = std::chrono::milliseconds{100}) {
  for (int i = 0; i < attempts; ++i) {
    if (check())
      return true;
    std::this_thread::sleep_for(pause);
  }
  return false;
}

// The operation the services route `method route` to (services/*/main.cpp):
// the actor tests call resource actors directly, without the router.
inline svc::collection_operation operation_of(const std::string& method, const std::string& route) {
  using op = svc::collection_operation;
  bool item = route.ends_with("/{id}");
  if (method == "POST")
    return op::create;
  if (method == "PUT")
    return op::update;
  if (method == "DELETE")
    return op::remove;
  return item ? op::get : op::list;
}

// Sends `req` to a resource actor and waits (bounded) for its response; a
// failed request is a test failure and a response with status 0.
inline svc::http::response ask(caf::actor_system& sys, const svc::resource_actor& resource,
                               svc::api_request req) {
  caf::scoped_actor self{sys};
  svc::http::response out;
  out.status = 0;
  self->request(resource, std::chrono::seconds{30}, svc::handle_atom::value, std::move(req))
    .receive([&](svc::http::response& r) { out = std::move(r); },
             [&](caf::error& e) { ADD_FAILURE() << caf::to_string(e); });
  return out;
}

}  // namespace svc_test
