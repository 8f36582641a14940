// The interface every per-resource actor (users, orders) offers the HTTP front:
// a routed API request in, a complete HTTP response out.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include <caf/typed_response_promise.hpp>
#include <nlohmann/json.hpp>

#include "actors/db_pool_actor.hpp"
#include "config/secret_mask.hpp"
#include "domain/list_query.hpp"
#include "http/message.hpp"
#include "http/trace_context.hpp"
#include "observability/log.hpp"
#include "persistence/idempotency.hpp"
#include "persistence/versioned_rows.hpp"

namespace pqxx {
class connection_base;
class transaction_base;
}  // namespace pqxx

namespace svc {

// What a routed request asks of a collection resource. The route it matched
// says so (service_wiring::route); no resource works it out again from the
// method and the presence of an id.
enum class collection_operation { create, list, get, update, remove };

// A request after routing: the route template, its operation and decoded parameters.
struct api_request {
  std::string method;
  std::string route;  // template, e.g. "/api/v1/users/{id}"
  query_params path_params;
  query_params query;
  std::string body;
  std::optional<std::string> content_type;
  std::optional<std::string> if_match;
  std::optional<std::string> idempotency_key;
  std::string request_id;
  std::optional<std::string> if_none_match;
  http::trace_context trace;
  collection_operation operation = collection_operation::get;
  std::string subject{};  // with auth on: the token's `sub`, for the log lines

  // What every log line written for this request carries.
  log::request_scope log_scope() const {
    return {request_id, trace.trace_id, trace.span_id, subject};
  }

  const std::string* path_param(std::string_view name) const {
    return query_value(path_params, name);
  }
};

using handle_atom = caf::atom_constant<caf::atom("handle")>;

using resource_actor =
  caf::typed_actor<caf::replies_to<handle_atom, api_request>::with<http::response>>;

http::response internal_error_response(std::string_view request_id);

// Recovery: runs a resource handler so that an exception becomes a logged 500
// INTERNAL_ERROR instead of killing the actor (CAF ends an actor that throws).
template <class Handler>
caf::result<http::response> guarded(const api_request& req, Handler&& handler) noexcept {
  try {
    return handler();
  } catch (const std::exception& e) {
    log::error(req.log_scope(), "unhandled exception in a request handler",
               {{"route", req.route}, {"error", mask_secrets(e.what())}});
  } catch (...) {
    log::error(req.log_scope(), "unhandled exception in a request handler", {{"route", req.route}});
  }
  return internal_error_response(req.request_id);
}

http::response bad_path_id_response(std::string_view noun, std::string_view request_id);

// Shared checks of a JSON write request. Each returns the error response to send,
// or nullopt when the request passes.
std::optional<http::response> reject_non_json(const api_request& req);
std::optional<http::response> reject_bad_idempotency_key(const api_request& req);

// The request body as a JSON object, or the 400 response to send instead.
std::variant<nlohmann::json, http::response> parse_json_body(const api_request& req);

http::response validation_failed(const field_errors& errors, std::string_view request_id);

// A single-resource response carries its version as a strong ETag.
http::response with_etag(http::response resp, std::int64_t version);

// A 201 carries Location: `collection`/{id}. This form reads the id from the
// body, for an Idempotency-Key replay of a stored 201; a fresh create, which
// has its item at hand, passes the id and spares the body a second parse.
http::response with_location(http::response resp, std::string_view collection);
http::response with_location(http::response resp, std::string_view collection, std::int64_t id);

// The answer to a GET of one resource: 304 Not Modified (ETag, no body) when
// If-None-Match names its current ETag, else `resp` itself.
http::response unless_not_modified(http::response resp,
                                   const std::optional<std::string>& if_none_match);

// A list page with its RFC 8288 Link header (first, prev, next, last), the
// links being `route` with the request's own parameters and another page.
http::response list_page_response(std::string_view route, const query_params& query,
                                  const nlohmann::json& items, const page_request& page,
                                  std::int64_t total);

// The response for a write that changed nothing: 404, 412 on a stale If-Match,
// 409 for a change a rule of the resource refuses.
http::response write_refused(write_outcome outcome, std::string_view resource,
                             std::string_view request_id);

// For a key seen before: the stored answer (same body) or a 409 (another body).
// nullopt for a fresh key.
std::optional<http::response> idempotent_answer(const idempotency_lookup& seen,
                                                std::string_view request_id);
stored_response to_stored(const http::response& resp);

// What an Idempotency-Key's body is compared by: the parsed body, written out
// canonically (members sorted, no white space), so that a retry serialised by
// another client library (other spacing, other member order) is the same request.
std::string idempotency_fingerprint(const nlohmann::json& body);

// Runs `fn` on `conn` in one transaction (resource_actor.cpp: the one place a
// resource's transaction is opened and committed; libpqxx stays out of this header).
http::response run_in_transaction(pqxx::connection_base& conn,
                                  const std::function<http::response(pqxx::transaction_base&)>& fn);

// Runs `fn(pqxx::transaction_base&) -> http::response` in one transaction on a
// pooled connection of its own (a worker's: a write of several statements), and
// delivers its response (or the database error's) to `promise`. The response is
// built on the worker's thread, off the resource actor. A single statement goes
// through deliver_from_query instead.
template <class Self, class Fn>
void deliver_from_database(Self* self, const db_pool_actor& pool, const char* operation,
                           log::request_scope scope, std::string_view conflict_message, Fn fn,
                           caf::typed_response_promise<http::response> promise) {
  auto request_id = scope.request_id();
  run_db_task(
    self, pool, operation,
    [fn = std::move(fn)](pqxx::connection_base& conn) mutable {
      return run_in_transaction(conn, std::ref(fn));
    },
    [promise](http::response resp) mutable { promise.deliver(std::move(resp)); },
    [promise, request_id, conflict_message](const caf::error& err) mutable {
      promise.deliver(database_error_response(err, request_id, conflict_message));
    },
    std::move(scope));
}

// A response built from a statement's rows by `respond`; a reader that throws
// (rows not as the repository expects) is a logged 500.
http::response response_from_rows(const pg_rows& rows,
                                  const std::function<http::response(const pg_rows&)>& respond,
                                  std::string_view operation, const log::request_scope& scope);

// Runs one statement on the pool's pipelined connections (db_query: no thread
// waits for it) and delivers `respond(const pg_rows&) -> http::response`, built
// in this actor, or the database error's response, to `promise`.
template <class Self, class Respond>
void deliver_from_query(Self* self, const db_pool_actor& pool, const char* operation,
                        db_statement statement, log::request_scope scope,
                        std::string_view conflict_message, Respond respond,
                        caf::typed_response_promise<http::response> promise) {
  run_db_query(
    self, pool, db_query{std::move(statement), operation, scope},
    [promise, respond = std::move(respond), operation, scope](pg_rows rows) mutable {
      promise.deliver(response_from_rows(rows, std::ref(respond), operation, scope));
    },
    [promise, scope, conflict_message](const caf::error& err) mutable {
      promise.deliver(database_error_response(err, scope.request_id(), conflict_message));
    });
}

// The same, answering the request being handled now.
template <class Self, class Respond>
caf::typed_response_promise<http::response> respond_from_query(
  Self* self, const db_pool_actor& pool, const char* operation, db_statement statement,
  log::request_scope scope, std::string_view conflict_message, Respond respond) {
  auto promise = self->template make_response_promise<http::response>();
  deliver_from_query(self, pool, operation, std::move(statement), std::move(scope),
                     conflict_message, std::move(respond), promise);
  return promise;
}

}  // namespace svc

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(svc::api_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(svc::http::response)
