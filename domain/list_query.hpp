// Reading list parameters (page, page_size, filters) from a query string.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "domain/field_rules.hpp"

namespace svc {

using query_params = std::vector<std::pair<std::string, std::string>>;

struct page_request {
  std::int64_t page = 1;
  std::int64_t page_size = 10;

  std::int64_t offset() const { return (page - 1) * page_size; }
};

inline constexpr std::int64_t max_page_size = 100;

// Last value of `name` in the query, if any.
const std::string* query_value(const query_params& query, std::string_view name);

// The readers below add an error for a bad value, and for a parameter given more
// than once ("must be given once"), which then counts as absent.

// Reads `page` (>= 1) and `page_size` (1..100).
page_request parse_page(const query_params& query, field_errors& errors);

// Reads `search` (trimmed; empty means no filter; at most 200 characters).
std::optional<std::string> parse_search(const query_params& query, field_errors& errors);

// Reads `name` as one of `allowed`; a value outside them adds an error.
std::optional<std::string> parse_enum_param(const query_params& query, const char* name,
                                            const std::vector<std::string_view>& allowed,
                                            field_errors& errors);

// Reads `name` as an integer >= 1.
std::optional<std::int64_t> parse_id_param(const query_params& query, const char* name,
                                           field_errors& errors);

// A path id: a decimal integer >= 1 that fits in 64 bits, without leading zeros.
std::optional<std::int64_t> parse_path_id(std::string_view text);

// Escapes LIKE metacharacters so that user text matches literally.
std::string like_pattern(std::string_view needle);

}  // namespace svc
