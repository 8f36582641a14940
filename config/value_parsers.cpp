#include "config/value_parsers.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <limits>

// Compiled Boost.URL symbols come from http/target.cpp, the one translation unit
// that includes <boost/url/src.hpp>; svc_config links svc_http for them.
#include <boost/url.hpp>

#include "domain/ascii_text.hpp"

namespace svc::config_detail {
namespace {

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

// Boost.URL takes a port of any digits ("99999", or "" after a bare ':'); a
// usable one is 1-65535.
bool port_ok(const boost::urls::url_view& u) {
  if (!u.has_port())
    return true;
  auto port = u.port();
  return parse_integer(std::string_view{port.data(), port.size()}, 1, 65535).has_value();
}

std::optional<boost::urls::url_view> parse_uri(std::string_view text) {
  auto parsed = boost::urls::parse_uri(boost::core::string_view{text.data(), text.size()});
  if (!parsed)
    return std::nullopt;
  return *parsed;
}

// "http[s]://host[:port]" and nothing else (no user, path, query or fragment):
// the shape of a browser's Origin header.
bool is_origin(std::string_view text) {
  auto u = parse_uri(text);
  return u && (ascii_iequals(u->scheme(), "http") || ascii_iequals(u->scheme(), "https")) &&
         u->has_authority() && !u->encoded_host().empty() && !u->has_userinfo() && port_ok(*u) &&
         u->encoded_path().empty() && !u->has_query() && !u->has_fragment();
}

}  // namespace

std::string_view trim(std::string_view text) {
  while (!text.empty() && is_blank(text.front()))
    text.remove_prefix(1);
  while (!text.empty() && is_blank(text.back()))
    text.remove_suffix(1);
  return text;
}

std::string quote_value(std::string_view text) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out = "\"";
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7f) {
      out += "\\x";
      out += hex[u >> 4];
      out += hex[u & 0xf];
    } else {
      out += c;
    }
  }
  out += '"';
  return out;
}

std::optional<std::int64_t> parse_integer(std::string_view text, std::int64_t min,
                                          std::int64_t max) {
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size())
    return std::nullopt;
  if (value < min || value > max)
    return std::nullopt;
  return value;
}

std::optional<double> parse_positive_real(std::string_view text) {
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size())
    return std::nullopt;
  if (!std::isfinite(value) || value <= 0)
    return std::nullopt;
  return value;
}

std::optional<std::chrono::nanoseconds> parse_duration(std::string_view text,
                                                       std::chrono::nanoseconds bare_unit) {
  using namespace std::chrono;
  auto digits_end = std::find_if(text.begin(), text.end(),
                                 [](char c) { return c < '0' || c > '9'; });
  auto number = text.substr(0, static_cast<std::size_t>(digits_end - text.begin()));
  auto suffix = text.substr(number.size());
  auto count = parse_integer(number, 0, std::numeric_limits<std::int64_t>::max());
  if (!count)
    return std::nullopt;
  struct unit {
    std::string_view suffix;
    nanoseconds length;
  };
  static const std::array<unit, 6> units{{{"ns", nanoseconds{1}},
                                          {"us", microseconds{1}},
                                          {"ms", milliseconds{1}},
                                          {"s", seconds{1}},
                                          {"min", minutes{1}},
                                          {"h", hours{1}}}};
  auto length = bare_unit;
  if (!suffix.empty()) {
    auto it = std::find_if(units.begin(), units.end(),
                           [&](const unit& u) { return u.suffix == suffix; });
    if (it == units.end())
      return std::nullopt;
    length = it->length;
  }
  if (*count > std::numeric_limits<std::int64_t>::max() / length.count())
    return std::nullopt;
  return nanoseconds{*count * length.count()};
}

std::optional<log::level> parse_log_level(std::string_view text) {
  static const std::array<std::pair<std::string_view, log::level>, 5> names{{
    {"trace", log::level::trace},
    {"debug", log::level::debug},
    {"info", log::level::info},
    {"warn", log::level::warn},
    {"error", log::level::error},
  }};
  for (const auto& [name, level] : names)
    if (ascii_iequals(text, name))
      return level;
  return std::nullopt;
}

std::optional<log::format> parse_log_format(std::string_view text) {
  if (ascii_iequals(text, "json"))
    return log::format::json;
  if (ascii_iequals(text, "text"))
    return log::format::text;
  return std::nullopt;
}

std::optional<bool> parse_bool(std::string_view text) {
  for (const char* yes : {"true", "1", "yes", "on"})
    if (ascii_iequals(text, yes))
      return true;
  for (const char* no : {"false", "0", "no", "off"})
    if (ascii_iequals(text, no))
      return false;
  return std::nullopt;
}

bool is_listen_host(std::string_view text) {
  if (text.empty() || text.size() > 253)
    return false;
  // Host names and IPv4 use letters, digits, '.', '-' (and '_' in some internal
  // names); IPv6 adds ':'. Anything else (blanks, '/', brackets) is a mistake.
  return std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '-' || c == '_' || c == ':';
  });
}

std::optional<std::string> parse_postgres_url(std::string_view text) {
  auto u = parse_uri(text);
  // An empty host is fine: libpq then uses its default (the Unix socket).
  if (!u || !(ascii_iequals(u->scheme(), "postgresql") || ascii_iequals(u->scheme(), "postgres")) ||
      !u->has_authority() || !port_ok(*u) || u->has_fragment())
    return std::nullopt;
  boost::urls::url normalized{*u};
  normalized.normalize_scheme();
  return std::string{normalized.buffer()};
}

std::optional<std::string> parse_http_base_url(std::string_view text) {
  auto u = parse_uri(text);
  if (!u || !(ascii_iequals(u->scheme(), "http") || ascii_iequals(u->scheme(), "https")) ||
      !u->has_authority() || u->encoded_host().empty() || u->has_userinfo() || !port_ok(*u) ||
      u->has_query() || u->has_fragment())
    return std::nullopt;
  auto path = u->encoded_path();
  if (!path.empty() && path != "/")
    return std::nullopt;
  std::string base{text};
  if (!path.empty())
    base.pop_back();  // the '/': callers append "/api/v1/..."
  return base;
}

std::optional<std::vector<std::string>> parse_origin_list(std::string_view text) {
  std::vector<std::string> origins;
  for (;;) {
    auto comma = text.find(',');
    auto item = trim(text.substr(0, comma));
    if (item.empty())
      return std::nullopt;
    origins.emplace_back(item);
    if (comma == std::string_view::npos)
      break;
    text.remove_prefix(comma + 1);
  }
  // "*" means every origin; mixed with exact ones it is surely a mistake.
  if (origins.size() == 1 && origins.front() == "*")
    return origins;
  if (!std::all_of(origins.begin(), origins.end(),
                   [](const std::string& o) { return is_origin(o); }))
    return std::nullopt;
  return origins;
}

}  // namespace svc::config_detail
