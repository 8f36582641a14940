#include "config/settings.hpp"

#include <algorithm>

#include "config/option_table.hpp"

namespace svc {

namespace {

// libpq percent-decodes the keys of a URI's query: "pass%77ord" is "password".
std::string percent_decoded(std::string_view text) {
  auto hex = [](char c) {
    c = static_cast<char>(c | 0x20);
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
  };
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex(text[i + 1]) >= 0 && hex(text[i + 2]) >= 0) {
      out += static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

}  // namespace

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
  constexpr auto npos = std::string_view::npos;
  std::size_t hide_begin = npos, hide_end = npos;  // the password part: [hide_begin, hide_end)
  auto scheme_end = url.find("://");
  if (scheme_end != npos) {
    auto auth_begin = scheme_end + 3;
    auto at = url.rfind('@');
    auto colon = url.find(':', auth_begin);
    if (at != npos && at > auth_begin && colon < at) {
      hide_begin = colon + 1;
      hide_end = at;
      // An '@' in the query: up to the next '&' or '#' it is in the value of a
      // parameter whose key is hidden, maybe "password" (found by fuzz_config_loader).
      if (url.substr(auth_begin, at - auth_begin).find('?') != npos)
        hide_end = std::min(url.find_first_of("&#", at), url.size());
    }
  }
  // libpq also takes "password=..." in the query (the key percent-decoded): a
  // parameter starts after the '?' or a '&' and runs to the next '&' or '#'.
  // One pass over the whole URL, as the query may begin before the hidden part.
  std::string out;
  bool in_query = false;
  for (std::size_t i = 0; i < url.size(); ++i) {
    if (i >= hide_begin && i < hide_end) {
      if (!out.ends_with("***"))
        out += "***";
      for (; i < hide_end; ++i)
        in_query = url[i] == '#' ? false : in_query || url[i] == '?';
      --i;
      continue;
    }
    bool param_start = in_query && i > 0 && (url[i - 1] == '?' || url[i - 1] == '&');
    auto end = std::min(url.find_first_of("&#", i), url.size());
    auto eq = url.substr(i, end - i).find('=');
    if (param_start && eq != npos && percent_decoded(url.substr(i, eq)) == "password") {
      out.append(url.substr(i, eq + 1)) += "***";
      i = end - 1;
      continue;
    }
    in_query = url[i] == '#' ? false : in_query || url[i] == '?';
    out += url[i];
  }
  return out;
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
