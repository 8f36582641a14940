// RFC 8288 Link header of a list page: first, last, and prev / next where they
// exist, each the same request with another `page`.
#pragma once

#include <string>
#include <string_view>

#include "http/target.hpp"

namespace svc::http {

// `path` is the list's path ("/api/v1/users"), `query` the request's decoded
// parameters (kept in order, `page` replaced). `page_size` is the effective one.
// Pages past the end still get first and last (and prev: the last page).
std::string page_links(std::string_view path, const param_list& query, long page, long page_size,
                       long total_pages);

}  // namespace svc::http
