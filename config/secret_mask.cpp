#include "config/secret_mask.hpp"

#include <algorithm>
#include <array>
#include <utility>
#include <vector>

#include <boost/url.hpp>

#include "domain/ascii_text.hpp"

namespace svc {
namespace {

constexpr auto npos = std::string_view::npos;

// [begin, end) of the text, shown as "***". An empty one still shows "***":
// "password=" must not read as "no password".
using span = std::pair<std::size_t, std::size_t>;

// The keys whose values libpq reads as secrets. libpq's keys are
// case-sensitive; any case is hidden, which costs nothing.
constexpr std::array<std::string_view, 2> secret_keys{"password", "sslpassword"};

bool is_secret_key(std::string_view key) {
  return std::any_of(secret_keys.begin(), secret_keys.end(),
                     [&](std::string_view k) { return ascii_iequals(key, k); });
}

// libpq percent-decodes the keys of a URI's query: "pass%77ord" is "password".
// A key with a bad escape is compared as it is (libpq refuses the whole URI).
bool is_secret_query_key(std::string_view key) {
  auto encoded = boost::urls::make_pct_string_view(
    boost::core::string_view{key.data(), key.size()});
  if (!encoded)
    return is_secret_key(key);
  return is_secret_key(encoded->decode());
}

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

bool is_scheme_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '-' || c == '.';
}

// The end of what a quote opened just before `from`: the last `quote` on that
// line (messages quote the whole string; a quote inside it only hides more),
// else the end of the text.
std::size_t quoted_end(std::string_view text, std::size_t from, char quote) {
  auto line_end = std::min(text.find('\n', from), text.size());
  auto close = text.substr(from, line_end - from).rfind(quote);
  return close == npos ? text.size() : from + close;
}

// The URI text[begin, end): the password of its user info and the values of
// secret query parameters.
void hide_in_uri(std::string_view text, std::size_t begin, std::size_t end,
                 std::vector<span>& hidden) {
  auto url = text.substr(begin, end - begin);
  // The user info ends at the LAST '@': a password with an unencoded '/', '?'
  // or '#' is still hidden whole (a '@' in the query may hide a little more than
  // needed, which is the safe side for display).
  auto auth_begin = url.find("://") + 3;
  auto at = url.rfind('@');
  auto colon = url.find(':', auth_begin);
  if (at != npos && at > auth_begin && colon < at) {
    auto hide_end = at;
    // An '@' in the query: up to the next '&' or '#' it is in the value of a
    // parameter whose key is hidden, maybe "password" (found by fuzz_config_loader).
    if (url.substr(auth_begin, at - auth_begin).find('?') != npos)
      hide_end = std::min(url.find_first_of("&#", at), url.size());
    hidden.emplace_back(begin + colon + 1, begin + hide_end);
  }
  // A parameter starts after the '?' or a '&' and runs to the next '&' or '#'.
  // The whole URI is walked, as the query may begin inside the user info hidden
  // above (an unencoded '?' in a password).
  bool in_query = false;
  for (std::size_t i = 0; i < url.size(); ++i) {
    if (in_query && (url[i - 1] == '?' || url[i - 1] == '&')) {
      auto param_end = std::min(url.find_first_of("&#", i), url.size());
      auto eq = url.substr(i, param_end - i).find('=');
      if (eq != npos && is_secret_query_key(url.substr(i, eq)))
        hidden.emplace_back(begin + i + eq + 1, begin + param_end);
    }
    in_query = url[i] == '#' ? false : in_query || url[i] == '?';
  }
}

// Every "scheme://" in the text. A URI quoted by '"' or '\'' ends at the closing
// quote; otherwise it runs to the end of the text (a setting's value, where a
// malformed password may hold blanks).
void hide_in_uris(std::string_view text, std::vector<span>& hidden) {
  for (auto mark = text.find("://"); mark != npos; mark = text.find("://", mark + 3)) {
    auto begin = mark;
    while (begin > 0 && is_scheme_char(text[begin - 1]))
      --begin;
    if (begin == mark)
      continue;
    auto end = text.size();
    if (begin > 0 && (text[begin - 1] == '"' || text[begin - 1] == '\''))
      end = quoted_end(text, mark, text[begin - 1]);
    hide_in_uri(text, begin, end, hidden);
  }
}

// "password = value" as libpq's key/value parser reads it: blanks around '='
// allowed, the value either '...' (backslash escapes inside) or a word (a
// backslash escapes the next character, a blank too). A key starts the text or
// follows a blank or a quote (messages quote the string).
void hide_key_values(std::string_view text, std::vector<span>& hidden) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (i > 0 && !is_blank(text[i - 1]) && text[i - 1] != '"' && text[i - 1] != '\'')
      continue;
    for (auto key : secret_keys) {
      if (!ascii_iequals(text.substr(i, key.size()), key))
        continue;
      auto j = i + key.size();
      while (j < text.size() && is_blank(text[j]))
        ++j;
      if (j == text.size() || text[j] != '=')
        continue;
      ++j;
      while (j < text.size() && is_blank(text[j]))
        ++j;
      auto k = j;
      if (k < text.size() && text[k] == '\'') {
        for (++k; k < text.size() && text[k] != '\''; ++k)
          k += text[k] == '\\';
        k = std::min(k + 1, text.size());
      } else {
        for (; k < text.size() && !is_blank(text[k]); ++k)
          k += text[k] == '\\';
        k = std::min(k, text.size());
      }
      hidden.emplace_back(j, k);
    }
  }
}

// libpq quotes a value it could not percent-decode alone, without its key: it
// may be the password.
void hide_percent_decoding_errors(std::string_view text, std::vector<span>& hidden) {
  for (std::string_view marker : {"percent-encoded value: \"", "percent-encoded token: \""})
    for (auto at = text.find(marker); at != npos; at = text.find(marker, at + 1)) {
      auto from = at + marker.size();
      hidden.emplace_back(from, quoted_end(text, from, '"'));
    }
}

}  // namespace

std::string mask_secrets(std::string_view text) {
  std::vector<span> hidden;
  hide_in_uris(text, hidden);
  hide_key_values(text, hidden);
  hide_percent_decoding_errors(text, hidden);
  std::sort(hidden.begin(), hidden.end());
  std::string out;
  std::size_t shown_from = 0;
  for (auto it = hidden.begin(); it != hidden.end();) {
    auto [begin, end] = *it;
    for (++it; it != hidden.end() && it->first <= end; ++it)
      end = std::max(end, it->second);
    out.append(text.substr(shown_from, begin - shown_from)) += "***";
    shown_from = end;
  }
  out.append(text.substr(shown_from));
  return out;
}

}  // namespace svc
