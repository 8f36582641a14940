// How every response of the HTTP front goes out, whatever produced it (the front
// itself, a resource actor, an error): steps 1, 2, 4 and 5 of the middleware chain
// in http_front_actor.hpp (request id, CORS, access log, metrics) in `finisher`,
// and step 3 for the front actors' own handlers in `shielded`. Private to the
// front's .cpp files.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <exception>
#include <memory>
#include <optional>
#include <string>

#include "actors/http_front_actor.hpp"
#include "http/server.hpp"
#include "http/trace_context.hpp"
#include "observability/log.hpp"

namespace svc {

// A client's own text on the access line is cut here, so that a log line stays
// a line and not a client-sized blob (the header limit alone allows 16 KB).
constexpr std::size_t max_logged_client_text = 256;

// Everything a finished response needs, whatever produced it: the request id and
// CORS headers, the access log line and the request metrics.
struct finisher {
  std::shared_ptr<front_context> ctx;
  std::string request_id;
  http::trace_context trace;
  std::optional<std::string> origin;
  std::string method;
  std::string route = "unmatched";  // a template, never a raw path (metric label)
  // For the access line only: the client address (the TCP peer, or the address
  // a trusted proxy forwarded), the path as requested (ids and all: logs may
  // hold it, metric labels may not) and the client's User-Agent.
  std::string client;
  std::string peer;  // the TCP peer, logged when it is not the client (a proxy)
  std::string path;
  std::string user_agent;
  // With auth on: the token's subject (never the token), and why a token was
  // refused ("expired", ...), which the client is not told.
  std::string subject{};
  std::string auth_failure{};
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  std::optional<long> rate_remaining{};  // set once the limiter answered (API routes)
  http::responder respond;

  log::request_scope scope() const { return {request_id, trace.trace_id, trace.span_id, subject}; }

  // Adds the headers, counts and logs the response, then sends it.
  void operator()(http::response resp) const;

  // For `shielded`: logs what a handler threw (`e`: null when not an exception)
  // and answers 500.
  void answer_unhandled(const std::exception* e) const noexcept;

private:
  template <std::size_t I = 0, class... Extra>
  void access_line_with(const http::response& resp, double seconds,
                        const std::array<std::optional<log::field>, 2>& optional,
                        const Extra&... extra) const;
  template <class... Extra>
  void access_line(const http::response& resp, double seconds, const Extra&... extra) const;
};

// A front actor lives as long as the process, and CAF ends an actor whose handler
// throws: an exception must cost its own request (a 500), not the actor and every
// request dealt to it afterwards. The responder answers once, so a 500 after a
// response that was already sent goes nowhere.
template <class Fn>
void shielded(const finisher& finish, Fn&& fn) noexcept {
  try {
    fn();
  } catch (const std::exception& e) {
    finish.answer_unhandled(&e);
  } catch (...) {
    finish.answer_unhandled(nullptr);
  }
}

}  // namespace svc
