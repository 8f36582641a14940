#include "http/router.hpp"

#include <algorithm>
#include <stdexcept>

namespace svc::http {
namespace {

// "/a/b/" -> {"a", "b"}; "/" -> {}. Empty inner segments are kept ("/a//b" has
// three) so that they can never match a template.
std::vector<std::string_view> split_path(std::string_view path) {
  if (path.size() > 1 && path.back() == '/')
    path.remove_suffix(1);
  std::vector<std::string_view> out;
  if (path.empty() || path == "/")
    return out;
  if (path.front() == '/')
    path.remove_prefix(1);
  for (;;) {
    auto slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos)
      break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

// Canonical text of a template: no trailing slash except for the root.
std::string canonical(std::string_view pattern) {
  if (pattern.size() > 1 && pattern.back() == '/')
    pattern.remove_suffix(1);
  return std::string{pattern};
}

}  // namespace

void router::add(std::string method, std::string pattern, int target) {
  if (method.empty())
    throw std::invalid_argument("route method must not be empty");
  if (pattern.empty() || pattern.front() != '/')
    throw std::invalid_argument("route template must start with '/': " + pattern);
  auto text = canonical(pattern);
  std::vector<segment> segments;
  for (auto part : split_path(text)) {
    bool braced = !part.empty() && part.front() == '{' && part.back() == '}';
    if (braced) {
      auto name = part.substr(1, part.size() - 2);
      if (name.empty() || name.find_first_of("{}") != std::string_view::npos)
        throw std::invalid_argument("bad parameter in route template: " + pattern);
      segments.push_back({std::string{name}, true});
    } else {
      if (part.empty() || part.find_first_of("{}") != std::string_view::npos)
        throw std::invalid_argument("bad segment in route template: " + pattern);
      segments.push_back({std::string{part}, false});
    }
  }
  // Templates differing only in parameter names ("{id}" vs "{user_id}") would
  // match the same paths but name the parameter differently: refused below.
  auto same_shape = [&](const route& r) {
    if (r.segments.size() != segments.size())
      return false;
    for (std::size_t i = 0; i < segments.size(); ++i) {
      if (r.segments[i].is_param != segments[i].is_param)
        return false;
      if (!segments[i].is_param && r.segments[i].text != segments[i].text)
        return false;
    }
    return true;
  };
  auto it = std::find_if(routes_.begin(), routes_.end(), same_shape);
  if (it != routes_.end()) {
    for (std::size_t i = 0; i < segments.size(); ++i)
      if (segments[i].is_param && it->segments[i].text != segments[i].text)
        throw std::invalid_argument("route template " + pattern + " renames a parameter of " +
                                    it->pattern);
  } else {
    routes_.push_back({text, std::move(segments), {}});
    it = std::prev(routes_.end());
  }
  const auto registered = [&](const auto& entry) { return entry.first == method; };
  if (std::any_of(it->methods.begin(), it->methods.end(), registered))
    throw std::invalid_argument("route registered twice: " + method + " " + text);
  it->methods.emplace_back(std::move(method), target);
}

route_match router::match(std::string_view method, const std::vector<std::string>& segments) const {
  std::vector<std::string_view> parts(segments.begin(), segments.end());
  if (!parts.empty() && parts.back().empty())
    parts.pop_back();  // the trailing slash
  return match_parts(method, parts);
}

route_match router::match(std::string_view method, std::string_view path) const {
  return match_parts(method, split_path(path));
}

route_match router::match_parts(std::string_view method,
                                const std::vector<std::string_view>& parts) const {
  // RFC 9110 section 9.3.2: HEAD is answered wherever GET is (the server leaves
  // out the body), so it matches GET's routes and is allowed beside GET.
  if (method == "HEAD")
    method = "GET";
  const route* best = nullptr;      // best template having `method`
  const route* best_any = nullptr;  // best template at all

  // Literal beats parameter at the first position where two templates differ.
  auto more_specific = [](const route& a, const route& b) {
    for (std::size_t i = 0; i < a.segments.size(); ++i)
      if (a.segments[i].is_param != b.segments[i].is_param)
        return !a.segments[i].is_param;
    return false;
  };
  auto fits = [&](const route& r) {
    if (r.segments.size() != parts.size())
      return false;
    for (std::size_t i = 0; i < parts.size(); ++i) {
      const auto& s = r.segments[i];
      if (s.is_param ? parts[i].empty() : s.text != parts[i])
        return false;
    }
    return true;
  };

  for (const auto& r : routes_) {
    if (!fits(r))
      continue;
    bool has_method = false;
    for (const auto& [m, t] : r.methods)
      has_method = has_method || m == method;
    if (!best_any || more_specific(r, *best_any))
      best_any = &r;
    if (has_method && (!best || more_specific(r, *best)))
      best = &r;
  }

  route_match result;
  if (!best) {
    if (!best_any)
      return result;  // not_found
    result.outcome = route_outcome::method_not_allowed;
    result.route = best_any->pattern;
    // The methods of every matching template: gathered only for a 405.
    std::vector<std::string_view> allowed;
    for (const auto& r : routes_) {
      if (!fits(r))
        continue;
      for (const auto& [m, t] : r.methods) {
        allowed.push_back(m);
        if (m == "GET")
          allowed.push_back("HEAD");
      }
    }
    std::sort(allowed.begin(), allowed.end());
    allowed.erase(std::unique(allowed.begin(), allowed.end()), allowed.end());
    for (auto m : allowed) {
      if (!result.allow.empty())
        result.allow += ", ";
      result.allow += m;
    }
    return result;
  }
  result.outcome = route_outcome::found;
  result.route = best->pattern;
  for (const auto& [m, t] : best->methods)
    if (m == method)
      result.target = t;
  for (std::size_t i = 0; i < parts.size(); ++i)
    if (best->segments[i].is_param)
      result.params.emplace_back(best->segments[i].text, std::string{parts[i]});
  return result;
}

}  // namespace svc::http
