// user-service: the users resource over its own PostgreSQL database.
#include "actors/users_actor.hpp"
#include "persistence/users_repository.hpp"
#include "runtime/service_host.hpp"
#include "services/openapi_document.hpp"

int main(int argc, char** argv) {
  return svc::run_service(
    {
      .name = "user-service",
      .migrations = svc::users_migrations(),
      .statements = svc::users_statements(),
      .openapi = svc::openapi_document(),
      .wire =
        [](svc::service_wiring& w) {
          using op = svc::collection_operation;
          auto users = svc::spawn_users_actor(w.system(), w.pool());
          w.route("POST", "/api/v1/users", users, op::create);
          w.route("GET", "/api/v1/users", users, op::list);
          w.route("GET", "/api/v1/users/{id}", users, op::get);
          w.route("PUT", "/api/v1/users/{id}", users, op::update);
          w.route("DELETE", "/api/v1/users/{id}", users, op::remove);
        },
    },
    argc, argv);
}
