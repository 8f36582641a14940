// Plain HTTP request/response values exchanged between the Beast server and the
// actors. Deliberately free of Beast and CAF so that every layer can include it.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace svc::http {

struct header {
  std::string name;
  std::string value;
};

enum class error_code;  // http/envelope.hpp

// Why the server refused a request before reading it whole.
struct request_refusal {
  error_code code;  // PAYLOAD_TOO_LARGE, URI_TOO_LONG, ... or BAD_REQUEST
  std::string message;
};

struct request {
  std::string method;  // upper case, e.g. "GET"
  std::string target;  // raw request-target, e.g. "/api/v1/users?page=2"
  std::vector<header> headers;
  std::string body;
  std::string remote_ip;
  bool keep_alive = true;
  // Set when the server refused the request before reading it whole (a body or
  // header over its limit, framing that hides where the body ends, a malformed
  // request): the handler answers with this error and adds its headers; method,
  // target and headers hold what was parsed (maybe nothing), there is no body,
  // and the connection closes after the answer (server_options::
  // handler_answers_refusals).
  std::optional<request_refusal> refused{};

  // Case-insensitive lookup; nullptr when the header is absent.
  const std::string* find_header(std::string_view name) const;
  // A list-valued field (If-Match, ...): every line of it joined with ", ", as
  // RFC 9110 section 5.3 combines them; nullopt when there is none.
  std::optional<std::string> list_header(std::string_view name) const;
};

struct response {
  unsigned status = 200;
  std::vector<header> headers;  // Content-Type/Length are added by the server
  std::string body;
  // The envelope's error code ("NOT_FOUND") for metrics and logs; never sent.
  std::string error_code;

  void set_header(std::string name, std::string value);
  const std::string* find_header(std::string_view name) const;
};

}  // namespace svc::http
