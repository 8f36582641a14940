#include "http/cors.hpp"

#include <algorithm>

#include "domain/ascii_text.hpp"

namespace svc::http {
namespace {

bool allows_all(const std::vector<std::string>& allowed) {
  return std::find(allowed.begin(), allowed.end(), "*") != allowed.end();
}

}  // namespace

bool origin_allowed(const std::vector<std::string>& allowed, const std::string& origin) {
  if (allows_all(allowed))
    return true;
  return std::any_of(allowed.begin(), allowed.end(),
                     [&](const std::string& a) { return ascii_iequals(a, origin); });
}

void add_cors_headers(response& resp, const std::vector<std::string>& allowed,
                      const std::string* origin) {
  const bool cross_origin = origin && !origin->empty();
  // The answer depends on the Origin header whatever the configuration (with "*",
  // the expose list goes only to a request that names one): a cache must key on it.
  resp.set_header("Vary", "Origin");
  if (allows_all(allowed))
    resp.set_header("Access-Control-Allow-Origin", "*");
  else if (cross_origin && origin_allowed(allowed, *origin))
    resp.set_header("Access-Control-Allow-Origin", *origin);
  else
    return;
  if (cross_origin)
    resp.set_header("Access-Control-Expose-Headers", cors_exposed_headers);
}

response cors_preflight_response(const std::vector<std::string>& allowed,
                                 const std::string* origin) {
  response resp;
  resp.status = 204;
  add_cors_headers(resp, allowed, origin);
  bool granted = resp.find_header("Access-Control-Allow-Origin") != nullptr;
  // A refused origin learns nothing more: the browser fails the preflight.
  if (granted) {
    resp.set_header("Access-Control-Allow-Methods", cors_allowed_methods);
    resp.set_header("Access-Control-Allow-Headers", cors_allowed_headers);
    resp.set_header("Access-Control-Max-Age", cors_max_age);
  }
  return resp;
}

}  // namespace svc::http
