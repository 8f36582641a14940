#include "http/page_links.hpp"

#include <algorithm>

#include <boost/url.hpp>

namespace svc::http {
namespace {

// The request's own target with page=N, its other parameters re-encoded as
// Boost.URL writes them.
std::string page_target(std::string_view path, const param_list& query, long page, long page_size) {
  boost::urls::url u;
  u.set_path(path);
  auto params = u.params();
  bool sized = false;
  for (const auto& [key, value] : query) {
    if (key == "page")
      continue;
    if (key == "page_size") {
      if (!sized)
        params.append({key, std::to_string(page_size)});
      sized = true;
      continue;
    }
    params.append({key, value});
  }
  if (!sized && page_size > 0)
    params.append({"page_size", std::to_string(page_size)});
  params.append({"page", std::to_string(page)});
  return std::string{u.buffer()};
}

}  // namespace

std::string page_links(std::string_view path, const param_list& query, long page, long page_size,
                       long total_pages) {
  const long last = std::max(total_pages, 1L);
  std::string links;
  auto add = [&](long n, const char* rel) {
    if (!links.empty())
      links += ", ";
    ((((links += '<') += page_target(path, query, n, page_size)) += ">; rel=\"") += rel) += '"';
  };
  add(1, "first");
  if (page > 1)
    add(std::min(page - 1, last), "prev");
  if (page < last)
    add(page + 1, "next");
  add(last, "last");
  return links;
}

}  // namespace svc::http
