#include "http/envelope.hpp"

#include <nlohmann/json.hpp>

namespace svc::http {
namespace {

constexpr const char* json_type = "application/json";

response json_body_response(unsigned status, std::string body) {
  response resp;
  resp.status = status;
  resp.body = std::move(body);
  resp.set_header("Content-Type", json_type);
  return resp;
}

}  // namespace

std::string_view code_name(error_code code) {
  switch (code) {
    case error_code::bad_request: return "BAD_REQUEST";
    case error_code::validation_error: return "VALIDATION_ERROR";
    case error_code::not_found: return "NOT_FOUND";
    case error_code::method_not_allowed: return "METHOD_NOT_ALLOWED";
    case error_code::unauthorized: return "UNAUTHORIZED";
    case error_code::forbidden: return "FORBIDDEN";
    case error_code::conflict: return "CONFLICT";
    case error_code::precondition_failed: return "PRECONDITION_FAILED";
    case error_code::payload_too_large: return "PAYLOAD_TOO_LARGE";
    case error_code::uri_too_long: return "URI_TOO_LONG";
    case error_code::request_header_fields_too_large: return "REQUEST_HEADER_FIELDS_TOO_LARGE";
    case error_code::rate_limit_exceeded: return "RATE_LIMIT_EXCEEDED";
    case error_code::internal_error: return "INTERNAL_ERROR";
    case error_code::circuit_open: return "CIRCUIT_OPEN";
    case error_code::service_unavailable: return "SERVICE_UNAVAILABLE";
  }
  return "INTERNAL_ERROR";  // unreachable for valid enumerators
}

std::vector<std::string_view> all_code_names() {
  std::vector<std::string_view> names;
  for (int c = 0; c <= static_cast<int>(error_code::service_unavailable); ++c)
    names.push_back(code_name(static_cast<error_code>(c)));
  return names;
}

unsigned http_status(error_code code) {
  switch (code) {
    case error_code::bad_request:
    case error_code::validation_error: return 400;
    case error_code::not_found: return 404;
    case error_code::method_not_allowed: return 405;
    case error_code::unauthorized: return 401;
    case error_code::forbidden: return 403;
    case error_code::conflict: return 409;
    case error_code::precondition_failed: return 412;
    case error_code::payload_too_large: return 413;
    case error_code::uri_too_long: return 414;
    case error_code::request_header_fields_too_large: return 431;
    case error_code::rate_limit_exceeded: return 429;
    case error_code::internal_error: return 500;
    case error_code::circuit_open:
    case error_code::service_unavailable: return 503;
  }
  return 500;
}

std::string to_json_body(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

response error_response(error_code code, std::string message, std::string_view request_id,
                        std::vector<field_error> details) {
  // ordered_json keeps the contract's key order, which makes logs and curl
  // output easier to read; clients must not depend on it.
  nlohmann::ordered_json error{{"code", code_name(code)}, {"message", std::move(message)}};
  if (!details.empty()) {
    auto list = nlohmann::ordered_json::array();
    for (auto& d : details)
      list.push_back({{"field", std::move(d.field)}, {"message", std::move(d.message)}});
    error["details"] = std::move(list);
  }
  nlohmann::ordered_json body{
    {"success", false}, {"error", std::move(error)}, {"request_id", request_id}};
  auto resp = json_body_response(
    http_status(code), body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  resp.error_code = code_name(code);  // for metrics and logs; the server never sends it
  return resp;
}

response ok_response(const nlohmann::json& data, unsigned status) {
  // Spliced as text so a large `data` is serialised once and never copied.
  return json_body_response(status, R"({"success":true,"data":)" + to_json_body(data) + "}");
}

long total_pages(long total, long page_size) {
  if (total <= 0 || page_size <= 0)
    return 0;
  return total / page_size + (total % page_size != 0 ? 1 : 0);
}

response list_response(const nlohmann::json& items, const list_meta& meta) {
  nlohmann::ordered_json m{{"page", meta.page},
                           {"page_size", meta.page_size},
                           {"total", meta.total},
                           {"total_pages", total_pages(meta.total, meta.page_size)}};
  // A list is always an array, even when the caller had nothing to put in it.
  std::string data = items.is_null() ? std::string{"[]"} : to_json_body(items);
  return json_body_response(200,
                            R"({"success":true,"data":)" + data + R"(,"meta":)" + m.dump() + "}");
}

response no_content_response() {
  response resp;
  resp.status = 204;
  return resp;
}

}  // namespace svc::http
