// X-Request-ID: taken from the client when it is sensible, otherwise generated,
// so that every response and log line of one request can be correlated.
#pragma once

#include <string>
#include <string_view>

#include "http/message.hpp"

namespace svc::http {

// 1-128 characters of printable ASCII (0x20-0x7E), not starting or ending with
// a space (a padded id would not survive header parsing and log searches intact).
bool valid_request_id(std::string_view id);

// A fresh random UUID v4, lower-case, e.g. "3f2b...-4...". Thread-safe.
std::string new_request_id();

// The request's X-Request-ID when valid, else a new UUID v4.
std::string request_id_from(const request& req);

// The same from a header value that may be absent (nullptr).
std::string request_id_from(const std::string* header_value);

}  // namespace svc::http
