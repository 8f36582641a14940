// The HTTP front: turns each request from the Beast server into a routed API
// request, answers what needs no actor (preflight, liveness, metrics) at once,
// and hands everything that does to one of its long-lived front actors.
//
// The middleware chain, in this fixed order (this is the one place it is decided):
//   1. request id   X-Request-ID taken from the request or generated (every response)
//   2. CORS         OPTIONS preflight answered here (under /api/ once the limiter, 7,
//                   let it through); allow-origin on every response
//   3. recovery     the server answers 500 for a throwing handler or a lost responder;
//                   resource actors guard their handlers (resource_actor.hpp: guarded),
//                   front actors theirs (front_finisher.hpp: shielded)
//   4. access log   one line per response, whatever produced it (front_finisher.hpp)
//   5. metrics      request count, duration, in-flight, error codes (front_finisher.hpp)
//   6. probes       /health, /health/live, /health/ready, /metrics: before the limiter,
//                   so probes and scrapes never see a 429; with MANAGEMENT_PORT on the
//                   management listener only (listener_role), 404 on the API's
//   7. rate limit   /api/ only: the limiter actor, 429 with Retry-After; also for the
//                   requests the server refused before routing (413, 414, 431,
//                   bad framing) unless they named a probe's path
//   8. auth         AUTH_MODE=jwt, /api/ only: the bearer token (401) and the route's
//                   scope (403), in the front actor (cached tokens cost a hash), after
//                   the limiter (an uncached RS256 check costs ~1 ms: floods of forged
//                   tokens are limited; 401/403 carry X-RateLimit-*); the subject
//                   goes on every log line of the request (log::request_scope)
//   9. routing      404, 405 with Allow
//  10. resource     the users or orders actor
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/fwd.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/breaker_actor.hpp"
#include "actors/db_pool_actor.hpp"
#include "actors/limiter_actor.hpp"
#include "actors/resource_actor.hpp"
#include "http/client_address.hpp"
#include "http/router.hpp"
#include "http/server.hpp"
#include "observability/metrics.hpp"

namespace svc::security {
class jwt_verifier;
}

namespace svc {

struct api_call;       // an API request on its way: limiter, then resource actor
struct health_report;  // a /health or /health/ready check on its way

// A long-lived front actor: takes requests from the HTTP server and sees each
// through its middleman requests. Several serve the server round robin; none is
// spawned per request (CAF 0.17 wakes its clock thread whenever an actor ends).
using front_actor = caf::typed_actor<caf::reacts_to<std::shared_ptr<api_call>>,
                                     caf::reacts_to<std::shared_ptr<health_report>>>;

// Shared by every request: filled in at start-up and only read afterwards, except
// `live`, the two values that change while the service runs.
struct front_context {
  std::string service_name;
  std::string_view openapi;  // the service's OpenAPI document (JSON); static storage
  // A route's target id indexes `routes`: the actor and the operation it runs.
  http::router router;
  struct routed_operation {
    resource_actor actor;
    collection_operation operation;
  };
  std::vector<routed_operation> routes;
  std::vector<resource_actor> resources;  // each routed actor once
  db_pool_actor pool;
  std::vector<std::string> cors_allowed_origins;
  // Peers whose X-Forwarded-For names the client (TRUSTED_PROXIES); the client
  // address keys the limiter and is the access line's `client`.
  std::vector<http::ip_network> trusted_proxies;
  // Breakers guarding neighbour services, by target name; /health reports them.
  std::vector<std::pair<std::string, breaker_actor>> breakers;
  std::shared_ptr<service_metrics> metrics;
  // AUTH_MODE=jwt: every /api/ request shows a bearer token first. Null: auth off.
  std::shared_ptr<security::jwt_verifier> auth;
  // Every /api/ request asks it first; X-RateLimit-Limit advertises the burst.
  limiter_actor limiter;
  long rate_limit = 0;
  // The front actors the handler deals requests to (spawn_front_actors): on an
  // I/O thread of `io`, that thread's own (index modulo their number), so that
  // with the I/O scheduler it usually runs right there; elsewhere round robin
  // by `live.next_front`.
  std::vector<front_actor> fronts;
  std::shared_ptr<http::io_threads> io;  // may be null (tests)

  struct live_state {
    std::atomic<std::size_t> next_front{0};
    std::atomic<bool> draining{false};  // flips once on SIGTERM: readiness turns 503 at once
  } live;
};

std::vector<front_actor> spawn_front_actors(caf::actor_system& sys, std::size_t count);

// Sends every actor the context holds (front actors, resources, breakers, pool,
// limiter) an exit; their handles must be gone before the actor system's
// destructor waits for them.
void stop_context_actors(front_context& ctx);

// Which paths a listener serves. `all`: one listener for everything (no
// MANAGEMENT_PORT). With MANAGEMENT_PORT, the API listener is `api` (the probes
// and /metrics answer 404 there) and the management listener `management`
// (/health, /health/live, /health/ready and /metrics only; everything else 404).
enum class listener_role { all, api, management };

// Builds the handler the Beast server calls for every request. It never blocks:
// replies arrive through the responder from whichever thread finishes them.
// The context's service name is read here, once.
http::request_handler make_front_handler(const std::shared_ptr<front_context>& context,
                                         listener_role role = listener_role::all);

}  // namespace svc

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::shared_ptr<svc::api_call>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::shared_ptr<svc::health_report>)
