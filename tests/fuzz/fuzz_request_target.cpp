// Fuzz target: a request line as the front actor sees it. Input: "METHOD target"
// (without a space the method is GET). The target goes through
// http::parse_target, its decoded segments through the router holding both
// services' routes, a path id through parse_path_id, and the query through the list
// parameter readers of domain/list_query, as users_actor and orders_actor call them.
#include <algorithm>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "domain/list_query.hpp"
#include "domain/order.hpp"
#include "domain/user.hpp"
#include "fuzz_check.hpp"
#include "http/router.hpp"
#include "http/target.hpp"

namespace {

using namespace svc;

const std::set<std::string>& templates() {
  static const std::set<std::string> t{"/api/v1/users", "/api/v1/users/{id}", "/api/v1/orders",
                                       "/api/v1/orders/{id}"};
  return t;
}

// The routes of services/*/main.cpp; target 0 is users, 1 orders.
const http::router& service_router() {
  static const http::router r = [] {
    http::router r;
    int target = 0;
    for (std::string noun : {"users", "orders"}) {
      r.add("POST", "/api/v1/" + noun, target);
      r.add("GET", "/api/v1/" + noun, target);
      for (auto method : {"GET", "PUT", "DELETE"})
        r.add(method, "/api/v1/" + noun + "/{id}", target);
      ++target;
    }
    return r;
  }();
  return r;
}

// An independent statement of the path-id rule: decimal digits only, no leading
// zero (so not zero either), at most INT64_MAX.
bool reference_path_id_ok(std::string_view text) {
  if (text.empty() ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return false;
  if (text.front() == '0')
    return false;
  return text.size() < 19 || (text.size() == 19 && text <= "9223372036854775807");
}

void check_path_id(const std::string& text) {
  auto id = parse_path_id(text);
  FUZZ_CHECK(id.has_value() == reference_path_id_ok(text), text);
  if (!id)
    return;
  FUZZ_CHECK(*id >= 1, text);
  FUZZ_CHECK(std::to_string(*id) == text, text);  // the one canonical spelling
}

bool same(const http::route_match& a, const http::route_match& b) {
  return a.outcome == b.outcome && a.route == b.route && a.target == b.target &&
         a.params == b.params && a.allow == b.allow;
}

// parsed_target::path spelled out again: the segments joined by '/', with '%'
// and '/' inside a segment escaped.
std::string reference_path(const std::vector<std::string>& segments) {
  std::string out;
  for (const auto& segment : segments) {
    out += '/';
    for (char c : segment)
      out += c == '%' ? std::string{"%25"} : c == '/' ? std::string{"%2F"} : std::string(1, c);
  }
  return out.empty() ? "/" : out;
}

bool has_encoded_slash(std::string_view raw) {
  for (auto at = raw.find('%'); at != std::string_view::npos && at + 2 < raw.size();
       at = raw.find('%', at + 1))
    if (raw[at + 1] == '2' && (raw[at + 2] == 'f' || raw[at + 2] == 'F'))
      return true;
  return false;
}

void check_route(std::string_view method, const http::parsed_target& target, std::string_view raw) {
  const auto& r = service_router();
  const auto& segments = target.segments;
  FUZZ_CHECK(target.path == reference_path(segments), target.path);
  // Without an escaped '/' or '%', the path and its segments route alike.
  if (target.path.find('%') == std::string::npos)
    FUZZ_CHECK(same(r.match(method, segments), r.match(method, target.path)), target.path);
  auto m = r.match(method, segments);
  switch (m.outcome) {
    case http::route_outcome::not_found:
      FUZZ_CHECK(m.route.empty() && m.target == -1 && m.params.empty(), target.path);
      break;
    case http::route_outcome::method_not_allowed:
      FUZZ_CHECK(templates().count(m.route) == 1, m.route);
      FUZZ_CHECK(m.target == -1 && !m.allow.empty(), target.path);
      // The Allow header must not list the method that was refused.
      for (std::string_view rest = m.allow; !rest.empty();) {
        auto comma = rest.find(", ");
        FUZZ_CHECK(rest.substr(0, comma) != method, m.allow);
        rest.remove_prefix(comma == std::string_view::npos ? rest.size() : comma + 2);
      }
      break;
    case http::route_outcome::found: {
      FUZZ_CHECK(templates().count(m.route) == 1, m.route);
      FUZZ_CHECK(m.target == 0 || m.target == 1, target.path);
      FUZZ_CHECK(m.route.find(m.target == 0 ? "/users" : "/orders") != std::string::npos, m.route);
      bool has_id = m.route.ends_with("{id}");
      FUZZ_CHECK(m.params.size() == (has_id ? 1u : 0u), target.path);
      if (has_id) {
        FUZZ_CHECK(m.params[0].first == "id" && !m.params[0].second.empty(), target.path);
        FUZZ_CHECK(m.params[0].second == segments.at(3), target.path);  // /api/v1/<noun>/{id}
        // A '/' in a segment can only come from an encoded one, and no id has one.
        if (m.params[0].second.find('/') != std::string::npos) {
          FUZZ_CHECK(has_encoded_slash(raw), target.path);
          FUZZ_CHECK(!parse_path_id(m.params[0].second), target.path);
        }
        check_path_id(m.params[0].second);
      }
      break;
    }
  }
  // One trailing slash (a last empty segment) is ignored.
  if (segments.empty() || !segments.back().empty()) {
    auto with_slash = segments;
    with_slash.emplace_back();
    FUZZ_CHECK(same(m, r.match(method, with_slash)), target.path);
  }
}

// Undoes like_pattern(): every '%', '_' and '\' of the needle must come escaped.
void check_like_pattern(const std::string& needle) {
  auto pattern = like_pattern(needle);
  FUZZ_CHECK(pattern.size() >= 2 && pattern.front() == '%' && pattern.back() == '%', pattern);
  std::string back;
  for (std::size_t i = 1; i + 1 < pattern.size(); ++i) {
    char c = pattern[i];
    FUZZ_CHECK(c != '%' && c != '_', pattern);  // an unescaped wildcard
    if (c == '\\') {
      FUZZ_CHECK(i + 2 < pattern.size(), pattern);
      c = pattern[++i];
    }
    back += c;
  }
  FUZZ_CHECK(back == needle, pattern);
}

// nlohmann's strict encoder as an independent UTF-8 check: it throws on
// overlong forms, surrogates and stray bytes.
bool is_utf8(const std::string& text) {
  try {
    (void)nlohmann::json(text).dump();
    return true;
  } catch (const nlohmann::json::type_error&) {
    return false;
  }
}

bool has_error(const field_errors& errors, std::string_view field) {
  return std::any_of(errors.begin(), errors.end(),
                     [&](const field_error& e) { return e.field == field; });
}

std::size_t occurrences(const query_params& q, std::string_view name) {
  return static_cast<std::size_t>(
    std::count_if(q.begin(), q.end(), [&](const auto& p) { return p.first == name; }));
}

// A raw integer parameter: an error iff it is given more than once, or is not an
// integer in [min, max]; a refused one leaves the default.
void check_int_param(const query_params& q, const char* name, std::int64_t min, std::int64_t max,
                     std::int64_t parsed, std::int64_t fallback, const field_errors& errors) {
  auto raw = query_value(q, name);
  if (!raw)
    return;
  if (occurrences(q, name) > 1) {
    FUZZ_CHECK(has_error(errors, name), name);
    FUZZ_CHECK(parsed == fallback, name);
    return;
  }
  auto value = parse_int64(*raw);
  bool valid = value && *value >= min && *value <= max;
  FUZZ_CHECK(valid != has_error(errors, name), *raw);
  if (valid)
    FUZZ_CHECK(parsed == *value, *raw);
}

void check_query(const query_params& q) {
  // query_value() gives the last value of a repeated name.
  for (const auto& param : q) {
    const auto& key = param.first;
    auto last = std::find_if(q.rbegin(), q.rend(), [&](const auto& p) { return p.first == key; });
    FUZZ_CHECK(query_value(q, key) == &last->second, key);
  }

  for (int resource = 0; resource < 2; ++resource) {
    field_errors errors;
    auto page = parse_page(q, errors);
    const auto& statuses = resource == 0 ? user_statuses() : order_statuses();
    auto status = parse_enum_param(q, "status", statuses, errors);
    std::optional<std::int64_t> user_id;
    if (resource == 1)
      user_id = parse_id_param(q, "user_id", errors);
    auto search = parse_search(q, errors);

    FUZZ_CHECK(page.page >= 1 && page.page_size >= 1 && page.page_size <= max_page_size);
    FUZZ_CHECK(page.offset() >= 0);
    check_int_param(q, "page", 1, INT64_MAX / max_page_size, page.page, 1, errors);
    check_int_param(q, "page_size", 1, max_page_size, page.page_size, 10, errors);
    if (resource == 1)
      check_int_param(q, "user_id", 1, INT64_MAX, user_id.value_or(0), 0, errors);
    // A repeated list parameter is refused, never read as one of its values.
    for (const char* name : {"status", "search"}) {
      if (occurrences(q, name) > 1)
        FUZZ_CHECK(has_error(errors, name), name);
    }
    if (occurrences(q, "status") > 1)
      FUZZ_CHECK(!status, "status");
    if (occurrences(q, "search") > 1)
      FUZZ_CHECK(!search, "search");
    if (status)
      FUZZ_CHECK(std::find(statuses.begin(), statuses.end(), *status) != statuses.end(), *status);
    if (auto raw = query_value(q, "status"))
      FUZZ_CHECK(status.has_value() != has_error(errors, "status"), *raw);
    if (search) {
      FUZZ_CHECK(!search->empty() && trim(*search) == *search, *search);
      FUZZ_CHECK(utf8_length(*search) <= 200 && !has_control_chars(*search), *search);
      FUZZ_CHECK(is_utf8(*search), *search);  // PostgreSQL refuses anything else
      check_like_pattern(*search);
    }
    std::set<std::string> seen;
    for (const auto& e : errors) {
      FUZZ_CHECK(!e.message.empty(), e.field);
      FUZZ_CHECK(seen.insert(e.field).second, e.field);  // one entry per offending field
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input{reinterpret_cast<const char*>(data), size};
  std::string_view method = "GET";
  std::string_view raw_target = input;
  if (auto space = input.find(' '); space != std::string_view::npos) {
    method = input.substr(0, space);
    raw_target = input.substr(space + 1);
  }

  auto target = http::parse_target(raw_target);
  if (!target) {
    FUZZ_CHECK(!target.error().empty());
    return 0;
  }
  FUZZ_CHECK(!target->path.empty() && target->path.front() == '/', target->path);
  check_route(method, *target, raw_target);
  check_query(target->query);
  return 0;
}
