#include "security/bearer_token.hpp"

#include <array>

#include "domain/ascii_text.hpp"

namespace svc::security {
namespace {

// A table: every request with auth on checks each character of its token.
constexpr auto token68_chars = [] {
  std::array<bool, 256> table{};
  for (int c = 0; c < 256; ++c)
    table[c] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
  return table;
}();

bool is_token68_char(char c) {
  return token68_chars[static_cast<unsigned char>(c)];
}

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

}  // namespace

bool is_token68(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size() && is_token68_char(text[i]))
    ++i;
  if (i == 0)
    return false;
  while (i < text.size() && text[i] == '=')
    ++i;
  return i == text.size();
}

bearer_credentials parse_bearer(const std::string_view* header) {
  using status = bearer_credentials::status;
  if (!header)
    return {};
  auto value = trim_ows(*header);
  auto space = value.find(' ');
  auto scheme = value.substr(0, space);
  if (!ascii_iequals(scheme, "Bearer"))
    return {};  // another scheme carries no bearer token: as if none were sent
  if (space == std::string_view::npos)
    return {status::malformed, {}};
  auto token = value.substr(space);
  while (!token.empty() && token.front() == ' ')
    token.remove_prefix(1);
  if (!is_token68(token))
    return {status::malformed, {}};
  return {status::ok, token};
}

}  // namespace svc::security
