// Runs one service process: settings, logging, database wait and migrations,
// the actor system, the HTTP server, and an orderly shutdown on SIGINT/SIGTERM.
// A service's main() only says which actors it has and which routes reach them.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_cast.hpp>
#include <caf/fwd.hpp>

#include "actors/breaker_actor.hpp"
#include "actors/db_pool_actor.hpp"
#include "actors/resource_actor.hpp"
#include "config/settings.hpp"
#include "persistence/migrations.hpp"
#include "persistence/statements.hpp"

namespace svc::security {
class token_file;
}

namespace svc {

struct front_context;

// What a service's wiring function may use and declare.
class service_wiring {
public:
  service_wiring(caf::actor_system& sys, const settings& cfg, db_pool_actor pool,
                 front_context& front,
                 std::shared_ptr<security::token_file> neighbour_token = nullptr);

  caf::actor_system& system() { return sys_; }
  const settings& config() const { return cfg_; }
  const db_pool_actor& pool() const { return pool_; }

  // A breaker actor guarding calls to a neighbour service at `base_url`, set up
  // from the breaker and HTTP client settings; /health reports its state. Its
  // calls carry USER_SERVICE_TOKEN_FILE's token as a bearer token, when set.
  breaker_actor breaker(std::string target_name, const std::string& base_url);

  // Routes `method pattern` (a route template such as "/api/v1/users/{id}") to
  // `operation` of `resource`.
  void route(std::string method, std::string pattern, const resource_actor& resource,
             collection_operation operation);

  // The service's metrics, for actors that record their own.
  std::shared_ptr<service_metrics> metrics() const;

  // An actor that no route reaches (a janitor, a reconciler) but that works until
  // shutdown, when it is sent an exit with the others.
  template <class Handle>
  void stop_at_shutdown(const Handle& actor) {
    background_.push_back(caf::actor_cast<caf::actor>(actor));
  }
  void stop_background_actors();

private:
  caf::actor_system& sys_;
  const settings& cfg_;
  db_pool_actor pool_;
  front_context& front_;
  std::shared_ptr<security::token_file> neighbour_token_;
  std::vector<caf::actor> background_;
};

struct service_definition {
  std::string name;  // "user-service"
  std::vector<migration> migrations;
  statement_list statements;
  std::string_view openapi;  // the OpenAPI document, JSON: GET /openapi.json
  std::function<void(service_wiring&)> wire;
};

// The whole process; returns the exit code (0 after a clean shutdown, 2 for a bad
// setting, 1 when start-up fails).
int run_service(const service_definition& service, int argc, char** argv);

}  // namespace svc
