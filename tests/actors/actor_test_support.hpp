// Real actors on a real scheduler against the throwaway PostgreSQL cluster.
#pragma once

#include <chrono>
#include <string>

#include <gtest/gtest.h>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>
#include <pqxx/pqxx>

#include "actors/db_pool_actor.hpp"
#include "actors/resource_actor.hpp"
#include "persistence/migrations.hpp"
#include "support/pg_env.hpp"     // database_url, fresh_database
#include "support/test_util.hpp"  // poll_until

namespace svc_test {

inline void migrate(const std::string& url, const std::vector<svc::migration>& migrations,
                    const std::string& service = "service-under-test") {
  pqxx::connection conn{url};
  svc::apply_migrations(conn, service, migrations);
}

inline svc::db_pool_config pool_config(const std::string& url,
                                       const svc::statement_list& statements,
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
