// Guards the calls to one neighbour service (order-service -> user-service): a
// circuit breaker (while open, calls are rejected at once instead of waiting on
// timeouts) and a bulkhead (beyond max_in_flight calls running, they are shed at
// once), in front of a transport it is given: the HTTP client (http_transport,
// made by the composition root) in the services, a stand-in in tests.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "http/client.hpp"
#include "http/message.hpp"
#include "observability/metrics.hpp"
#include "resilience/circuit_breaker.hpp"
#include "security/token_file.hpp"

namespace svc {

struct outbound_call {
  std::string method;
  std::string target;  // "/api/v1/users/7"
  std::vector<http::header> headers;
};

struct outbound_result {
  enum class outcome {
    answered,  // the neighbour answered (any status below 500)
    rejected,  // circuit open: not attempted
    shed,      // max_in_flight calls already running: not attempted
    failed,    // refused, timed out, broken, or a 5xx
  };
  outcome result = outcome::failed;
  unsigned status = 0;
  std::string body;
  std::string error;  // for logs
};

struct breaker_status {
  breaker_state state = breaker_state::closed;
};

using call_atom = caf::atom_constant<caf::atom("call")>;
using call_done_atom = caf::atom_constant<caf::atom("calldone")>;
using breaker_status_atom = caf::atom_constant<caf::atom("brkstatus")>;

using breaker_actor =
  caf::typed_actor<caf::replies_to<call_atom, outbound_call>::with<outbound_result>,
                   caf::replies_to<breaker_status_atom>::with<breaker_status>,
                   // The HTTP client's completion, sent by the client's I/O thread to the actor.
                   caf::reacts_to<call_done_atom, std::uint64_t, http::client_result>>;

// How a call goes out: `done` runs exactly once, on any thread.
using outbound_transport = std::function<void(
  const std::string& method, const http::base_url& base, const std::string& target,
  const std::vector<http::header>& headers, http::client_callback done)>;

// Calls over an asynchronous HTTP client of its own, which lives as long as the
// transport (every copy of it) does: its thread ends with the breaker actor.
outbound_transport http_transport(const http::client_options& options);

struct breaker_config {
  std::string target_name;  // "user-service", for logs and metrics
  http::base_url base;      // http://localhost:8081, parsed once (http/client.hpp)
  breaker_settings settings;
  // Bulkhead: calls running at once. A neighbour that accepts connections and
  // never answers would otherwise tie up a connection (and a caller) per request
  // until the timeout, for every request arriving before the breaker opens.
  std::size_t max_in_flight = 64;
  std::shared_ptr<service_metrics> metrics;  // may be null (tests)
  // The caller's own token for the neighbour (USER_SERVICE_TOKEN_FILE), sent as
  // "Authorization: Bearer ..." on every call; null: no Authorization header.
  // Every call of this actor is the service's own, never a client's token passed on.
  std::shared_ptr<security::token_file> bearer_token;
  outbound_transport transport;  // required: http_transport(...), or a test's stand-in
};

breaker_actor spawn_breaker(caf::actor_system& sys, breaker_config config);

}  // namespace svc

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(svc::outbound_call)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(svc::outbound_result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(svc::breaker_status)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(svc::http::client_result)
