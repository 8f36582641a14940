#include "domain/list_query.hpp"

namespace svc {
namespace {

constexpr std::size_t max_search_length = 200;

// The one value of a list parameter, or nullptr when it is absent or repeated (an
// error then): "page=1&page=2" used to mean page 2 silently, and a cache or proxy
// in front may read the first value where the service reads the last.
const std::string* single_value(const query_params& query, const char* name, field_errors& errors) {
  const std::string* found = nullptr;
  for (const auto& [key, value] : query) {
    if (key != name)
      continue;
    if (found) {
      errors.push_back({name, "must be given once"});
      return nullptr;
    }
    found = &value;
  }
  return found;
}

std::optional<std::int64_t> bounded_int(const query_params& query, const char* name,
                                        std::int64_t min, std::int64_t max, field_errors& errors) {
  auto raw = single_value(query, name, errors);
  if (!raw)
    return std::nullopt;
  auto value = parse_int64(*raw);
  if (!value || *value < min || *value > max) {
    auto bound = max == INT64_MAX
                   ? " >= " + std::to_string(min)
                   : " between " + std::to_string(min) + " and " + std::to_string(max);
    errors.push_back({name, "must be an integer" + bound});
    return std::nullopt;
  }
  return value;
}

}  // namespace

const std::string* query_value(const query_params& query, std::string_view name) {
  const std::string* found = nullptr;
  for (const auto& [key, value] : query)
    if (key == name)
      found = &value;
  return found;
}

page_request parse_page(const query_params& query, field_errors& errors) {
  page_request result;
  if (auto page = bounded_int(query, "page", 1, INT64_MAX / max_page_size, errors))
    result.page = *page;
  if (auto size = bounded_int(query, "page_size", 1, max_page_size, errors))
    result.page_size = *size;
  return result;
}

std::optional<std::string> parse_search(const query_params& query, field_errors& errors) {
  auto raw = single_value(query, "search", errors);
  if (!raw)
    return std::nullopt;
  auto value = trim(*raw);
  if (value.empty())
    return std::nullopt;
  if (!is_valid_utf8(value)) {
    errors.push_back({"search", "must be valid UTF-8"});  // PostgreSQL would refuse it: a 500
    return std::nullopt;
  }
  if (utf8_length(value) > max_search_length || has_control_chars(value)) {
    errors.push_back({"search", "must be at most 200 printable characters"});
    return std::nullopt;
  }
  return value;
}

std::optional<std::string> parse_enum_param(const query_params& query, const char* name,
                                            const std::vector<std::string_view>& allowed,
                                            field_errors& errors) {
  auto raw = single_value(query, name, errors);
  if (!raw)
    return std::nullopt;
  for (auto a : allowed)
    if (*raw == a)
      return *raw;
  std::string list;
  for (auto a : allowed)
    list += (list.empty() ? "" : ", ") + std::string{a};
  errors.push_back({name, "must be one of: " + list});
  return std::nullopt;
}

std::optional<std::int64_t> parse_id_param(const query_params& query, const char* name,
                                           field_errors& errors) {
  return bounded_int(query, name, 1, INT64_MAX, errors);
}

std::optional<std::int64_t> parse_path_id(std::string_view text) {
  // A leading zero is refused: "/users/0042" and "/users/42" would be two names
  // for one resource (caches, logs, rate limits keyed on the path).
  if (text.empty() || text.front() < '1' || text.front() > '9')
    return std::nullopt;
  auto id = parse_int64(text);
  if (!id || *id < 1)
    return std::nullopt;
  return id;
}

std::string like_pattern(std::string_view needle) {
  std::string out = "%";
  for (char c : needle) {
    if (c == '%' || c == '_' || c == '\\')
      out += '\\';
    out += c;
  }
  out += '%';
  return out;
}

}  // namespace svc
