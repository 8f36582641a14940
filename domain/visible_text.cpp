#include "domain/visible_text.hpp"

namespace svc {
namespace {

// Decodes the code point starting at s[i] and advances i past it.
char32_t next_code_point(std::string_view s, std::size_t& i) {
  const auto lead = static_cast<unsigned char>(s[i]);
  const std::size_t len = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
  char32_t cp = len == 1   ? lead
                : len == 2 ? (lead & 0x1F)
                : len == 3 ? (lead & 0x0F)
                           : (lead & 0x07);
  for (std::size_t k = 1; k < len && i + k < s.size(); ++k)
    cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  i += len;
  return cp;
}

bool is_white_space(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F ||
         c == 0x3000;
}

// Default-ignorable characters that render as nothing: soft hyphen, Mongolian
// vowel separator, zero-width space / joiners, word joiner and invisible
// operators, byte order mark.
bool is_invisible(char32_t c) {
  return c == 0xAD || c == 0x180E || (c >= 0x200B && c <= 0x200D) || (c >= 0x2060 && c <= 0x2064) ||
         c == 0xFEFF;
}

bool is_blank(char32_t c) {
  return is_white_space(c) || is_invisible(c);
}

}  // namespace

std::string trim_blank(std::string_view s) {
  std::size_t begin = 0, end = 0;  // of the first and past the last non-blank code point
  bool seen = false;
  for (std::size_t i = 0; i < s.size();) {
    const auto at = i;
    if (!is_blank(next_code_point(s, i))) {
      if (!seen)
        begin = at;
      seen = true;
      end = i;
    }
  }
  return seen ? std::string{s.substr(begin, end - begin)} : std::string{};
}

bool has_control_or_bidi(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto c = next_code_point(s, i);
    if (c < 0x20 || (c >= 0x7F && c <= 0x9F) || c == 0x061C || c == 0x200E || c == 0x200F ||
        (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069))
      return true;
  }
  return false;
}

std::size_t visible_length(std::string_view s) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < s.size();)
    if (!is_blank(next_code_point(s, i)))
      ++n;
  return n;
}

}  // namespace svc
