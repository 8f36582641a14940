// CORS headers (pure functions, no I/O). The allowed origins come from
// CORS_ALLOWED_ORIGINS: a list of exact origins, or one entry "*" for all.
#pragma once

#include <string>
#include <vector>

#include "http/message.hpp"

namespace svc::http {

// True when `allowed` holds "*" or `origin` (case-insensitively: browsers send
// scheme and host in lower case, an operator may not have typed them so).
bool origin_allowed(const std::vector<std::string>& allowed, const std::string& origin);

// Sets the CORS headers of a normal (simple or actual) response on `resp`.
// `origin` is the request's Origin header, nullptr when absent.
//   "*" allowed   -> Access-Control-Allow-Origin: *
//   origin listed -> Access-Control-Allow-Origin: <origin>
//   otherwise     -> no allow-origin
// Access-Control-Expose-Headers goes with an allow-origin only when the request
// named an Origin: only a browser's cross-origin request reads it, and a browser
// always sends Origin with one. Every other client is spared its 130 bytes. So the
// answer depends on Origin in every case, and Vary: Origin always goes with it.
void add_cors_headers(response& resp, const std::vector<std::string>& allowed,
                      const std::string* origin);

// The answer to an OPTIONS preflight: 204, empty body, the headers above plus
// Access-Control-Allow-Methods/-Headers/-Max-Age when the origin is allowed.
response cors_preflight_response(const std::vector<std::string>& allowed,
                                 const std::string* origin);

inline constexpr const char* cors_allowed_methods = "GET, POST, PUT, DELETE, OPTIONS";
inline constexpr const char* cors_allowed_headers =
  "Content-Type, Authorization, X-Request-ID, If-Match, If-None-Match, Idempotency-Key, traceparent, tracestate";
inline constexpr const char* cors_exposed_headers =
  "X-Request-ID, ETag, Location, Link, Idempotent-Replayed, X-RateLimit-Limit, X-RateLimit-Remaining, Retry-After";
inline constexpr const char* cors_max_age = "600";

}  // namespace svc::http
