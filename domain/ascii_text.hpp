// Case-insensitive equality of ASCII text (header names, auth schemes, media
// types, tokens), without a locale. Neither Boost function does here:
// boost::algorithm::iequals asks std::locale for a facet per character (a tenth
// of a GET's instructions), and Boost 1.81's beast::iequals reads one byte past
// the end of its arguments when they differ in case (fuzz_bearer_token found it
// on a view ending at its buffer's end).
#pragma once

#include <string_view>

namespace svc {

constexpr char ascii_lower(char c) noexcept {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

constexpr bool ascii_iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size())
    return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (ascii_lower(a[i]) != ascii_lower(b[i]))
      return false;
  return true;
}

}  // namespace svc
