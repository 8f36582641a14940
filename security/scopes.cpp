#include "security/scopes.hpp"

#include <algorithm>

namespace svc::security {

scope_set parse_scope_claim(std::string_view claim) {
  scope_set scopes;
  while (!claim.empty()) {
    auto space = claim.find(' ');
    auto item = claim.substr(0, space);
    if (!item.empty())
      scopes.emplace_back(item);
    if (space == std::string_view::npos)
      break;
    claim.remove_prefix(space + 1);
  }
  std::sort(scopes.begin(), scopes.end());
  scopes.erase(std::unique(scopes.begin(), scopes.end()), scopes.end());
  return scopes;
}

std::string required_scope(std::string_view method, std::string_view route) {
  constexpr std::string_view api = "/api/";
  if (!route.starts_with(api))
    return {};
  route.remove_prefix(api.size());
  auto version_end = route.find('/');
  if (version_end == std::string_view::npos || version_end == 0)
    return {};
  route.remove_prefix(version_end + 1);
  auto resource = route.substr(0, route.find('/'));
  if (resource.empty() || resource.front() == '{')
    return {};
  // A read cannot change anything; every other method may, whatever it is.
  const bool read = method == "GET" || method == "HEAD";
  return std::string{resource} + (read ? ":read" : ":write");
}

bool has_scope(const scope_set& scopes, std::string_view scope) {
  return std::binary_search(scopes.begin(), scopes.end(), scope);
}

}  // namespace svc::security
