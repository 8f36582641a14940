// The interface every per-resource actor (users, orders) offers the HTTP front:
// a routed API request in, a complete HTTP response out.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "domain/list_query.hpp"
#include "http/message.hpp"

namespace svc {

// A request after routing: the route template and decoded parameters.
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

  const std::string* path_param(std::string_view name) const { return query_value(path_params, name); }
};

using handle_atom = caf::atom_constant<caf::atom("handle")>;

using resource_actor = caf::typed_actor<caf::replies_to<handle_atom, api_request>::with<http::response>>;

// The response for a failed database task: 503 while the database is unreachable
// or saturated, 409 on a conflict, 500 (logged, never detailed) otherwise.
http::response database_error_response(const caf::error& err, std::string_view request_id,
                                       std::string_view conflict_message);

// Shared checks of a JSON write request. Each returns the error response to send,
// or nullopt when the request passes.
std::optional<http::response> reject_non_json(const api_request& req);
std::optional<http::response> reject_bad_idempotency_key(const api_request& req);

}  // namespace svc

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(svc::api_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(svc::http::response)
