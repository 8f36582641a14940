// order-service: the orders resource over its own PostgreSQL database; each new
// order's user is checked with user-service through a circuit breaker, and the
// orders taken while it could not be asked are checked again by a reconciler.
#include "actors/orders_actor.hpp"
#include "actors/user_check_reconciler_actor.hpp"
#include "persistence/orders_repository.hpp"
#include "runtime/service_host.hpp"
#include "services/openapi_document.hpp"

int main(int argc, char** argv) {
  return svc::run_service(
    {
      .name = "order-service",
      .migrations = svc::orders_migrations(),
      .statements = svc::orders_statements(),
      .openapi = svc::openapi_document(),
      .wire =
        [](svc::service_wiring& w) {
          using op = svc::collection_operation;
          const auto& cfg = w.config();
          auto users = w.breaker("user-service", cfg.user_service_url);
          auto orders = svc::spawn_orders_actor(w.system(),
                                                {w.pool(), users, cfg.user_validation_timeout});
          w.stop_at_shutdown(svc::spawn_user_check_reconciler(
            w.system(), {w.pool(), users, cfg.user_check_reconcile_interval,
                         cfg.user_check_reconcile_batch, w.metrics()}));
          w.route("POST", "/api/v1/orders", orders, op::create);
          w.route("GET", "/api/v1/orders", orders, op::list);
          w.route("GET", "/api/v1/orders/{id}", orders, op::get);
          w.route("PUT", "/api/v1/orders/{id}", orders, op::update);
          w.route("DELETE", "/api/v1/orders/{id}", orders, op::remove);
        },
    },
    argc, argv);
}
