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

std::vector<header> cors_headers(const std::vector<std::string>& allowed,
                                 const std::string* origin) {
  std::vector<header> out;
  if (allows_all(allowed)) {
    // "*" does not depend on the request, so caches need no Vary.
    out.push_back({"Access-Control-Allow-Origin", "*"});
  } else {
    if (origin && !origin->empty() && origin_allowed(allowed, *origin))
      out.push_back({"Access-Control-Allow-Origin", *origin});
    out.push_back({"Vary", "Origin"});
    if (out.size() == 1)
      return out;
  }
  out.push_back({"Access-Control-Expose-Headers", cors_exposed_headers});
  return out;
}

response cors_preflight_response(const std::vector<std::string>& allowed,
                                 const std::string* origin) {
  response resp;
  resp.status = 204;
  auto headers = cors_headers(allowed, origin);
  bool granted = std::any_of(headers.begin(), headers.end(), [](const header& h) {
    return h.name == "Access-Control-Allow-Origin";
  });
  for (auto& h : headers)
    resp.set_header(std::move(h.name), std::move(h.value));
  // A refused origin learns nothing more: the browser fails the preflight.
  if (granted) {
    resp.set_header("Access-Control-Allow-Methods", cors_allowed_methods);
    resp.set_header("Access-Control-Allow-Headers", cors_allowed_headers);
    resp.set_header("Access-Control-Max-Age", cors_max_age);
  }
  return resp;
}

}  // namespace svc::http
