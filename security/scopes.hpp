// Which scope a request needs, and whether a token's scopes grant it.
//
//   GET, HEAD on /api/v1/<resource>...   <resource>:read
//   any other method                     <resource>:write
//
// <resource> is the route template's first segment after /api/<version>/
// ("/api/v1/users/{id}" -> "users"). Pure functions: the rule in one place.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace svc::security {

// The scopes of a token: the `scope` claim split at spaces, sorted, unique.
using scope_set = std::vector<std::string>;

scope_set parse_scope_claim(std::string_view claim);

// "users:read" for ("GET", "/api/v1/users/{id}"); "" when the route names no
// resource (not under /api/<version>/<resource>): then no scope is needed.
std::string required_scope(std::string_view method, std::string_view route_template);

bool has_scope(const scope_set& scopes, std::string_view scope);

}  // namespace svc::security
