#include "actors/http_front_actor.hpp"

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <nlohmann/json.hpp>

#include "actors/front_finisher.hpp"
#include "actors/front_health.hpp"
#include "domain/ascii_text.hpp"
#include "http/bearer_auth.hpp"
#include "http/cors.hpp"
#include "http/envelope.hpp"
#include "http/io_threads.hpp"
#include "http/request_id.hpp"
#include "http/target.hpp"
#include "http/trace_context.hpp"
#include "observability/log.hpp"

namespace svc {
namespace {

std::optional<std::string> header_value(const http::request& req, std::string_view name) {
  if (auto* v = req.find_header(name))
    return *v;
  return std::nullopt;
}

}  // namespace

// One API call on its way through a front actor.
struct api_call {
  std::shared_ptr<front_context> ctx;
  std::string client;  // the client address (see finisher::client): the rate limit key
  http::route_match match;
  api_request req;
  finisher finish;
  http::request credentials;  // the method and Authorization lines, with auth on
  // An answer settled before the rate limit (a request the server refused, a CORS
  // preflight): sent instead of checking the token and routing, once the limiter
  // lets the call through. Rate limited all the same, so that it carries the
  // X-RateLimit headers and a flood of them is cut off like any other.
  std::optional<http::response> settled{};
};

namespace {

// Answers a routed API request: routing errors at once, the rest by the resource actor.
// The call is shared by the two continuations rather than its finisher copied
// into each: a finisher is a dozen strings and a responder.
void answer_routed(front_actor::pointer self, const std::shared_ptr<api_call>& call) {
  auto& match = call->match;
  const auto& finish = call->finish;
  if (match.outcome == http::route_outcome::not_found) {
    finish(http::error_response(http::error_code::not_found, "no such route", finish.request_id));
    return;
  }
  if (match.outcome == http::route_outcome::method_not_allowed) {
    auto resp = http::error_response(http::error_code::method_not_allowed, "method not allowed",
                                     finish.request_id);
    resp.set_header("Allow", match.allow);
    finish(std::move(resp));
    return;
  }
  auto& req = call->req;
  req.route = match.route;
  req.path_params = std::move(match.params);
  const auto& routed = call->ctx->routes.at(match.target);
  req.operation = routed.operation;
  req.subject = finish.subject;
  self->request(routed.actor, caf::infinite, handle_atom::value, std::move(req))
    .then(
      [call](http::response& resp) {
        shielded(call->finish, [&] { call->finish(std::move(resp)); });
      },
      [call](caf::error&) {
        shielded(call->finish, [&] {
          call->finish(http::error_response(http::error_code::service_unavailable,
                                            "service temporarily unavailable",
                                            call->finish.request_id));
        });
      });
}

// With auth on, checks the call's bearer token for its route; answers the 401 or
// 403 and returns true when it does not let the call through.
bool refused_by_auth(api_call& call) {
  auto& ctx = *call.ctx;
  if (!ctx.auth)
    return false;
  auto verdict = http::check_bearer(
    *ctx.auth, call.credentials,
    call.match.outcome == http::route_outcome::not_found ? std::string_view{} : call.match.route);
  call.finish.subject = verdict.subject;
  call.finish.auth_failure = verdict.reason;
  if (verdict.allowed())
    return false;
  call.finish(http::bearer_refusal(verdict, ctx.service_name, call.finish.request_id));
  return true;
}

// What follows the rate limit: the settled answer, or the bearer token, then
// route and dispatch.
void after_rate_limit(front_actor::pointer self, const std::shared_ptr<api_call>& call) {
  if (call->settled) {
    call->finish(std::move(*call->settled));
    return;
  }
  if (!refused_by_auth(*call))
    answer_routed(self, call);
}

// Sees one API call through: rate limit, then the bearer token, then route and dispatch.
void run_api_call(front_actor::pointer self, std::shared_ptr<api_call> call) {
  auto& ctx = call->ctx;
  if (!ctx->limiter) {
    after_rate_limit(self, call);
    return;
  }
  self->request(ctx->limiter, caf::infinite, rate_check_atom::value, call->client)
    .then(
      [self, call](rate_decision& d) {
        auto& finish = call->finish;
        shielded(finish, [&] {
          finish.rate_remaining = d.remaining;
          if (d.allowed) {
            after_rate_limit(self, call);
            return;
          }
          auto resp = http::error_response(http::error_code::rate_limit_exceeded,
                                           "rate limit exceeded", finish.request_id);
          resp.set_header("Retry-After", std::to_string(d.retry_after.count()));
          finish(std::move(resp));
        });
      },
      // A limiter that does not answer must not take the API down with it.
      [self, call](caf::error&) { shielded(call->finish, [&] { after_rate_limit(self, call); }); });
}

// Spawned with an argument: CAF 0.17's spawn of an argument-less function binds
// a reference to a null pointer, which UBSan rightly reports.
front_actor::behavior_type front(front_actor::pointer self, std::size_t /*index*/) {
  return {
    [=](std::shared_ptr<api_call>& call) {
      shielded(call->finish, [&] { run_api_call(self, call); });
    },
    [=](std::shared_ptr<health_report>& report) { run_health_check(self, std::move(report)); },
  };
}

// The front actor for a request (see front_context::fronts).
const front_actor& next_front(front_context& ctx) {
  if (ctx.io)
    if (auto here = ctx.io->current_index())
      return ctx.fronts[*here % ctx.fronts.size()];
  return ctx
    .fronts[ctx.live.next_front.fetch_add(1, std::memory_order_relaxed) % ctx.fronts.size()];
}

// What the front answers itself, without a resource actor: routes like the API's
// (GET, and HEAD with it; another method is a 405 with Allow).
enum class builtin { live, health, ready, metrics, openapi };

const http::router& builtin_routes() {
  static const http::router routes = [] {
    http::router r;
    r.add("GET", "/health/live", static_cast<int>(builtin::live));
    r.add("GET", "/health", static_cast<int>(builtin::health));
    r.add("GET", "/health/ready", static_cast<int>(builtin::ready));
    r.add("GET", "/metrics", static_cast<int>(builtin::metrics));
    r.add("GET", "/openapi.json", static_cast<int>(builtin::openapi));
    return r;
  }();
  return routes;
}

// The probes and /metrics: what a management listener serves (and the API one then not).
bool is_management_route(const http::route_match& m) {
  return m.outcome != http::route_outcome::not_found && m.route != "/openapi.json";
}

// An API call whose answer is settled already (api_call::settled): it only
// passes the rate limit.
void send_settled(const std::shared_ptr<front_context>& ctx, finisher finish,
                  http::response answer) {
  auto client = finish.client;
  caf::anon_send(next_front(*ctx),
                 std::make_shared<api_call>(api_call{
                   ctx, std::move(client), {}, {}, std::move(finish), {}, std::move(answer)}));
}

// `live_body`: the /health/live answer, made once per handler (the probe is the
// most frequent request of all).
void handle(const std::shared_ptr<front_context>& ctx, listener_role role,
            const std::string& live_body, http::request&& req, http::responder respond) {
  if (ctx->metrics)
    ctx->metrics->request_started();
  const auto traceparent = req.list_header("traceparent");
  const auto tracestate = req.list_header("tracestate");
  std::string client = req.remote_ip;
  if (!ctx->trusted_proxies.empty()) {
    const auto forwarded_for = req.list_header("X-Forwarded-For");
    client = http::client_address(req.remote_ip, forwarded_for ? &*forwarded_for : nullptr,
                                  ctx->trusted_proxies);
  }
  finisher finish{
    .ctx = ctx,
    .request_id = http::request_id_from(req),
    .trace = http::trace_context_from(traceparent ? &*traceparent : nullptr,
                                      tracestate ? &*tracestate : nullptr),
    .origin = header_value(req, "Origin"),
    .method = req.method,
    .client = std::move(client),
    .peer = req.remote_ip,
    .path = {},  // once the target is parsed
    .user_agent = header_value(req, "User-Agent").value_or("").substr(0, max_logged_client_text),
    .respond = std::move(respond)};
  auto target = http::parse_target(req.target);
  finish.path = (target ? target->path : req.target).substr(0, max_logged_client_text);
  const auto own = target ? builtin_routes().match(req.method, target->segments)
                          : http::route_match{};
  // Refused before routing: by the server (an oversized body or header, bad
  // framing), or for a target that does not parse. Rate limited unless it was
  // for a probe's or the scraper's path.
  if (req.refused || !target) {
    auto refusal = req.refused
                     ? http::error_response(req.refused->code, req.refused->message,
                                            finish.request_id)
                     : http::error_response(http::error_code::bad_request,
                                            "malformed request target", finish.request_id);
    if (own.outcome != http::route_outcome::not_found)
      finish.route = own.route;
    else if (target)
      if (auto match = ctx->router.match(req.method, target->segments);
          match.outcome != http::route_outcome::not_found)
        finish.route = match.route;
    if (role == listener_role::management || own.outcome != http::route_outcome::not_found)
      finish(std::move(refusal));
    else
      send_settled(ctx, std::move(finish), std::move(refusal));
    return;
  }
  const auto& path = target->path;
  // With a management listener, each listener serves its own paths only.
  if ((role == listener_role::api && is_management_route(own)) ||
      (role == listener_role::management && !is_management_route(own))) {
    finish(http::error_response(http::error_code::not_found, "no such route", finish.request_id));
    return;
  }
  if (req.method == "OPTIONS") {
    // A preflight for a path that some route serves, a 404 otherwise; under
    // /api/ rate limited like the request it prepares.
    const bool api = path.starts_with("/api/");
    const auto match = api ? ctx->router.match(req.method, target->segments) : http::route_match{};
    http::response answer;
    if (own.outcome == http::route_outcome::not_found &&
        match.outcome == http::route_outcome::not_found) {
      answer = http::error_response(http::error_code::not_found, "no such route",
                                    finish.request_id);
    } else {
      finish.route = api ? match.route : own.route;
      answer = http::cors_preflight_response(ctx->cors_allowed_origins,
                                             finish.origin ? &*finish.origin : nullptr);
    }
    if (api)
      send_settled(ctx, std::move(finish), std::move(answer));
    else
      finish(std::move(answer));
    return;
  }
  if (own.outcome == http::route_outcome::method_not_allowed) {
    finish.route = own.route;
    auto refusal = http::error_response(http::error_code::method_not_allowed, "method not allowed",
                                        finish.request_id);
    refusal.set_header("Allow", own.allow);
    finish(std::move(refusal));
    return;
  }
  if (own.outcome == http::route_outcome::found) {
    finish.route = own.route;
    switch (static_cast<builtin>(own.target)) {
      case builtin::live: {
        http::response live;
        live.status = 200;
        live.body = live_body;
        finish(std::move(live));
        return;
      }
      case builtin::health:
      case builtin::ready:
        check_health(next_front(*ctx), ctx, own.target == static_cast<int>(builtin::ready),
                     std::move(finish));
        return;
      case builtin::metrics:
        if (ctx->metrics) {
          http::response resp;
          resp.body = ctx->metrics->render();
          resp.set_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
          finish(std::move(resp));
          return;
        }
        break;
      case builtin::openapi:
        if (!ctx->openapi.empty()) {
          http::response resp;
          resp.body = std::string{ctx->openapi};
          resp.set_header("Content-Type", "application/json");
          finish(std::move(resp));
          return;
        }
        break;
    }
  }
  if (!path.starts_with("/api/")) {
    finish(http::error_response(http::error_code::not_found, "no such route", finish.request_id));
    return;
  }
  auto match = ctx->router.match(req.method, target->segments);
  if (match.outcome != http::route_outcome::not_found)
    finish.route = match.route;
  // With auth on, the token is checked after the rate limit (run_api_call): a
  // flood of forged tokens is limited like any other, and every refusal carries
  // the X-RateLimit headers. Only what the check reads is kept.
  http::request credentials;
  if (ctx->auth) {
    credentials.method = req.method;
    for (auto& h : req.headers)
      if (ascii_iequals(h.name, "Authorization"))
        credentials.headers.push_back(std::move(h));
  }
  // A resource answers HEAD as GET; the server sends the headers without the body.
  api_request api{req.method == "HEAD" ? std::string{"GET"} : req.method,
                  {},
                  {},
                  std::move(target->query),
                  std::move(req.body),
                  header_value(req, "Content-Type"),
                  req.list_header("If-Match"),
                  header_value(req, "Idempotency-Key"),
                  finish.request_id,
                  req.list_header("If-None-Match"),
                  finish.trace,
                  collection_operation::get};  // the matched route's, set in answer_routed
  caf::anon_send(next_front(*ctx), std::make_shared<api_call>(
                                     api_call{ctx, finish.client, std::move(match), std::move(api),
                                              std::move(finish), std::move(credentials)}));
}

}  // namespace

std::vector<front_actor> spawn_front_actors(caf::actor_system& sys, std::size_t count) {
  std::vector<front_actor> fronts;
  for (std::size_t i = 0; i < count; ++i)
    fronts.push_back(sys.spawn(front, i));
  return fronts;
}

void stop_context_actors(front_context& ctx) {
  auto stop = [](const auto& actor) {
    caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
  };
  for (auto& f : ctx.fronts)
    stop(f);
  for (auto& r : ctx.resources)
    stop(r);
  for (auto& [name, b] : ctx.breakers)
    stop(b);
  stop(ctx.pool);
  if (ctx.limiter)
    stop(ctx.limiter);
}

http::request_handler make_front_handler(const std::shared_ptr<front_context>& context,
                                         listener_role role) {
  // Spliced as text around the one value that needs JSON escaping.
  auto live_body = std::make_shared<const std::string>(
    R"({"service":)" + nlohmann::json(context->service_name).dump() + R"(,"status":"ok"})");
  return [context, role, live_body](http::request&& req, http::responder respond) {
    handle(context, role, *live_body, std::move(req), std::move(respond));
  };
}

}  // namespace svc
