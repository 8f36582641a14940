#include "config/settings.hpp"

#include <algorithm>

#include "config/option_table.hpp"

namespace svc {

std::string settings::masked_database_url() const {
  return mask_url_password(database_url);
}

settings default_settings(std::string_view service_name) {
  settings s;
  s.service_name = service_name;
  if (service_name == "order-service") {
    s.http_port = 8082;
    s.database_url = "postgresql://postgres@localhost:5432/orders";
  }
  return s;
}

std::string mask_url_password(std::string_view url) {
  // Done by hand rather than with Boost.URL, so that it also masks what does not
  // parse: an error line about a malformed URL must not print its password.
  // The user info ends at the LAST '@': a password with an unencoded '/', '?'
  // or '#' is still hidden whole (a '@' in the query may hide a little more than
  // needed, which is the safe side for display).
  std::string out;
  std::size_t pos = 0;
  auto scheme_end = url.find("://");
  if (scheme_end != std::string_view::npos) {
    auto auth_begin = scheme_end + 3;
    auto at = url.rfind('@');
    auto colon = url.find(':', auth_begin);
    if (at != std::string_view::npos && at > auth_begin && colon < at) {
      out.append(url.substr(0, colon + 1));
      out += "***";
      pos = at;
    }
  }
  // libpq also takes "?password=..." in the query.
  auto query = url.find('?', pos);
  if (query == std::string_view::npos)
    return out.append(url.substr(pos));
  auto query_end = std::min(url.find('#', query), url.size());
  out.append(url.substr(pos, query + 1 - pos));
  auto params = url.substr(query + 1, query_end - query - 1);
  for (bool first = true;; first = false) {
    auto amp = params.find('&');
    auto param = params.substr(0, amp);
    if (!first)
      out += '&';
    out.append(param.substr(0, 9) == "password=" ? std::string_view{"password=***"} : param);
    if (amp == std::string_view::npos)
      break;
    params.remove_prefix(amp + 1);
  }
  return out.append(url.substr(query_end));
}

std::vector<std::pair<std::string, std::string>> effective_settings(const settings& s) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& option : config_detail::option_table())
    out.emplace_back(option.name(), option.render(s));
  for (const auto& entry : s.caf_passthrough)
    out.push_back(entry);
  return out;
}

std::string_view log_level_name(log::level level) {
  switch (level) {
    case log::level::trace: return "trace";
    case log::level::debug: return "debug";
    case log::level::info: return "info";
    case log::level::warn: return "warn";
    case log::level::error: return "error";
  }
  return "info";
}

std::string_view log_format_name(log::format format) {
  return format == log::format::text ? "text" : "json";
}

}  // namespace svc
