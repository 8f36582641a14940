// Route templates such as "/api/v1/users/{id}" mapped to caller-chosen target
// ids. Pure code: the caller splits the path into segments and decodes each
// (http/target.hpp), so that an encoded '/' never splits or joins a segment.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace svc::http {

enum class route_outcome { found, not_found, method_not_allowed };

struct route_match {
  route_outcome outcome = route_outcome::not_found;
  std::string route;  // the template, e.g. "/api/v1/users/{id}" (a metrics label)
  int target = -1;    // the id given to add(); -1 unless found
  std::vector<std::pair<std::string, std::string>> params;  // {"id", "42"}, in template order
  std::string allow;  // 405 only: the path's methods, sorted, e.g. "DELETE, GET, HEAD, PUT"
};

class router {
public:
  // Registers `method` on `pattern`. A pattern starts with '/', its segments are
  // literals or "{name}" (one whole non-empty segment). Registering the same
  // method on the same template twice, or a malformed template, throws
  // std::invalid_argument: both are wiring mistakes to surface at start-up.
  void add(std::string method, std::string pattern, int target);

  // `segments` as in parsed_target::segments (decoded one by one). Method names
  // are compared exactly (HTTP methods are case-sensitive). One trailing slash
  // (a last empty segment) is ignored: "/api/v1/users/" is "/api/v1/users". When
  // several templates match, literal segments win over parameters, leftmost
  // first, so "/users/me" is preferred to "/users/{id}". HEAD matches the GET
  // routes, and an Allow that lists GET lists HEAD too.
  route_match match(std::string_view method, const std::vector<std::string>& segments) const;

  // The same for a path without percent-escapes, split at every '/'.
  route_match match(std::string_view method, std::string_view path) const;

private:
  struct segment {
    std::string text;  // literal text, or the parameter's name
    bool is_param;
  };
  struct route {
    std::string pattern;
    std::vector<segment> segments;
    std::vector<std::pair<std::string, int>> methods;  // method -> target
  };
  route_match match_parts(std::string_view method,
                          const std::vector<std::string_view>& parts) const;

  std::vector<route> routes_;
};

}  // namespace svc::http
