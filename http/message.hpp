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

struct request {
  std::string method;  // upper case, e.g. "GET"
  std::string target;  // raw request-target, e.g. "/api/v1/users?page=2"
  std::vector<header> headers;
  std::string body;
  std::string remote_ip;
  bool keep_alive = true;

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
