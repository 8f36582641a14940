// The JSON envelope of every response body (see docs: API contract, "Envelope"):
//   success: {"success": true, "data": ...[, "meta": {...}]}
//   error:   {"success": false, "error": {"code", "message"[, "details"]}, "request_id"}
// Only <nlohmann/json_fwd.hpp> here so that actor code including this stays light.
#pragma once

#include <concepts>
#include <ranges>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "http/message.hpp"

namespace svc::http {

enum class error_code {
  bad_request,
  validation_error,
  not_found,
  method_not_allowed,
  unauthorized,
  forbidden,
  conflict,
  precondition_failed,
  payload_too_large,
  uri_too_long,
  request_header_fields_too_large,
  rate_limit_exceeded,
  internal_error,
  circuit_open,
  service_unavailable,  // the last (all_code_names)
};

// "BAD_REQUEST", "VALIDATION_ERROR", ... as written in the contract.
std::string_view code_name(error_code code);

// Every code's name, in the enum's order.
std::vector<std::string_view> all_code_names();

// 400, 401, 403, 404, 405, 409, 412, 413, 414, 429, 431, 500, 503.
unsigned http_status(error_code code);

struct field_error {
  std::string field;
  std::string message;
};

// An error envelope with the code's status and Content-Type: application/json;
// response::error_code is set to code_name(code) for metrics and logs.
// `details` appears in the body only when it is not empty.
response error_response(error_code code, std::string message, std::string_view request_id,
                        std::vector<field_error> details = {});

// The same for any other list of {field, message} records (e.g. svc::field_errors
// from domain/), so that the HTTP layer does not depend on the domain's types.
template <class Details>
  requires(!std::same_as<std::remove_cvref_t<Details>, std::vector<field_error>> &&
           std::ranges::input_range<Details> &&
           requires(std::ranges::range_reference_t<Details> e) {
             { e.field } -> std::convertible_to<std::string>;
             { e.message } -> std::convertible_to<std::string>;
           })
response error_response(error_code code, std::string message, std::string_view request_id,
                        Details&& details) {
  std::vector<field_error> converted;
  if constexpr (std::ranges::sized_range<Details>)
    converted.reserve(std::ranges::size(details));
  for (auto&& e : details)
    converted.push_back({std::string(e.field), std::string(e.message)});
  return error_response(code, std::move(message), request_id, std::move(converted));
}

// {"success": true, "data": data} with `status` (200, or 201 on create).
response ok_response(const nlohmann::json& data, unsigned status = 200);

struct list_meta {
  long page;
  long page_size;
  long total;
};

// ceil(total / page_size); 0 when total is 0 (or page_size is not positive).
long total_pages(long total, long page_size);

// {"success": true, "data": items, "meta": {page, page_size, total, total_pages}}.
response list_response(const nlohmann::json& items, const list_meta& meta);

// 204 with an empty body (DELETE).
response no_content_response();

// Compact JSON text; invalid UTF-8 in strings is replaced (U+FFFD) instead of
// throwing, so user-supplied text can never turn a response into a 500.
std::string to_json_body(const nlohmann::json& value);

}  // namespace svc::http
