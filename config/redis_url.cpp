#include "config/redis_url.hpp"

#include <algorithm>
#include <charconv>

#include "domain/ascii_text.hpp"

namespace svc {
namespace {

constexpr auto npos = std::string_view::npos;

bool iequals_prefix(std::string_view text, std::string_view prefix) {
  return ascii_iequals(text.substr(0, prefix.size()), prefix);
}

int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

std::optional<std::string> percent_decode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size())
      return std::nullopt;
    int hi = hex_value(text[i + 1]), lo = hex_value(text[i + 2]);
    if (hi < 0 || lo < 0)
      return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

std::optional<long> parse_number(std::string_view text, long min, long max) {
  if (text.empty() || text.size() > 6)
    return std::nullopt;
  long v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size() || v < min || v > max)
    return std::nullopt;
  return v;
}

bool is_host_name(std::string_view host) {
  return !host.empty() && std::all_of(host.begin(), host.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_';
  });
}

bool is_ipv6_text(std::string_view host) {
  return host.find(':') != npos && std::all_of(host.begin(), host.end(), [](char c) {
           return hex_value(c) >= 0 || c == ':' || c == '.';
         });
}

// "host", "host:port", "[v6]" or "[v6]:port".
bool parse_authority(std::string_view text, redis_endpoint& out) {
  std::string_view host, port;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == npos)
      return false;
    host = text.substr(1, close - 1);
    auto rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':')
        return false;
      port = rest.substr(1);
      if (port.empty())
        return false;
    }
    if (!is_ipv6_text(host))
      return false;
  } else {
    auto colon = text.find(':');
    host = text.substr(0, colon);
    if (colon != npos) {
      port = text.substr(colon + 1);
      if (port.empty())
        return false;
    }
    if (!is_host_name(host))
      return false;
  }
  if (!port.empty()) {
    auto p = parse_number(port, 1, 65535);
    if (!p)
      return false;
    out.port = static_cast<std::uint16_t>(*p);
  }
  out.host = host;
  return true;
}

}  // namespace

std::optional<redis_endpoint> parse_redis_url(std::string_view text) {
  constexpr std::string_view scheme = "redis://";
  if (!iequals_prefix(text, scheme))
    return std::nullopt;
  auto rest = text.substr(scheme.size());
  if (rest.find_first_of("?#") != npos)
    return std::nullopt;
  redis_endpoint out;
  // The user info ends at the last '@': a password may hold an unencoded '/'.
  if (auto at = rest.rfind('@'); at != npos) {
    auto info = rest.substr(0, at);
    rest = rest.substr(at + 1);
    auto colon = info.find(':');
    if (colon == npos)
      return std::nullopt;
    auto user = percent_decode(info.substr(0, colon));
    auto password = percent_decode(info.substr(colon + 1));
    if (!user || !password || password->empty())
      return std::nullopt;
    out.username = std::move(*user);
    out.password = std::move(*password);
  }
  auto slash = rest.find('/');
  if (!parse_authority(rest.substr(0, slash), out))
    return std::nullopt;
  if (slash != npos) {
    auto db = rest.substr(slash + 1);
    if (!db.empty()) {
      auto n = parse_number(db, 0, 65535);
      if (!n)
        return std::nullopt;
      out.database = static_cast<int>(*n);
    }
  }
  return out;
}

std::string hide_redis_user_info(std::string_view text) {
  auto start = text.find("://");
  auto at = text.rfind('@');
  if (start == npos || at == npos || at < start + 3)
    return std::string{text};
  return std::string{text.substr(0, start + 3)} + "***" + std::string{text.substr(at)};
}

}  // namespace svc
