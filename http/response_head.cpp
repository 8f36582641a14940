#include "http/response_head.hpp"

#include <array>
#include <charconv>
#include <ostream>  // Boost 1.81's core/string_view.hpp uses it without including it

#include <boost/beast/http/status.hpp>

#include "domain/ascii_text.hpp"

namespace svc::http {
namespace {

// A field name a handler may send: a token (RFC 9110 5.1, 5.6.2). Anything else
// would be a header the client's parser refuses, or reads as something else.
bool usable_field_name(std::string_view name) {
  static constexpr auto token_chars = [] {
    std::array<bool, 256> table{};
    for (int c = '0'; c <= '9'; ++c)
      table[c] = true;
    for (int c = 'a'; c <= 'z'; ++c) {
      table[c] = true;
      table[c - 'a' + 'A'] = true;
    }
    for (char c : std::string_view{"!#$%&'*+-.^_`|~"})
      table[static_cast<unsigned char>(c)] = true;
    return table;
  }();
  if (name.empty())
    return false;
  for (char c : name)
    if (!token_chars[static_cast<unsigned char>(c)])
      return false;
  return true;
}

// A control character in a value becomes a blank: CR or LF would let the value
// start a header (or a body) of its own, and the others (HTAB aside) make a
// field the client's parser refuses (RFC 9110 5.5).
bool is_control(unsigned char c) {
  return (c < 0x20 && c != '\t') || c == 0x7f;
}

void append_field_value(std::string& out, std::string_view value) {
  // First a read-only pass the compiler vectorises (no early exit, no store):
  // no value a handler sends has such a character, and the per-character loop
  // below cost about 1.8k instructions of a /health/live request.
  unsigned char seen = 0;
  for (unsigned char c : value)
    seen |= static_cast<unsigned char>((c < 0x20) | (c == 0x7f));
  const auto start = out.size();
  out.append(value);
  if (seen == 0)
    return;
  for (auto i = start; i < out.size(); ++i)
    if (is_control(static_cast<unsigned char>(out[i])))
      out[i] = ' ';
}

void append_field(std::string& out, std::string_view name, std::string_view value) {
  out.append(name);
  out.append(": ");
  append_field_value(out, value);
  out.append("\r\n");
}

void append_number(std::string& out, std::size_t n) {
  char digits[24];
  auto end = std::to_chars(digits, digits + sizeof digits, n).ptr;
  out.append(digits, end);
}

void append_status_line(std::string& out, unsigned version, unsigned status) {
  out.append("HTTP/");
  out.push_back(static_cast<char>('0' + version / 10 % 10));
  out.push_back('.');
  out.push_back(static_cast<char>('0' + version % 10));
  out.push_back(' ');
  append_number(out, status);
  out.push_back(' ');
  const auto reason = boost::beast::http::obsolete_reason(
    boost::beast::http::int_to_status(status));
  out.append(reason.data(), reason.size());
  out.append("\r\n");
}

}  // namespace

framed_response frame_response(response resp, const response_framing& framing) {
  framed_response out;
  out.keep_alive = framing.keep_alive;
  const unsigned status = resp.status >= 200 && resp.status <= 599 ? resp.status : 500;
  const bool bodyless = status == 204 || status == 304;

  out.head.reserve(256);
  append_status_line(out.head, framing.version, status);
  bool has_content_type = false;
  for (const auto& h : resp.headers) {
    if (ascii_iequals(h.name, "Connection")) {
      if (ascii_iequals(h.value, "close"))
        out.keep_alive = false;
      continue;
    }
    if (ascii_iequals(h.name, "Content-Length") || ascii_iequals(h.name, "Transfer-Encoding") ||
        !usable_field_name(h.name))
      continue;
    has_content_type = has_content_type || ascii_iequals(h.name, "Content-Type");
    append_field(out.head, h.name, h.value);
  }
  if (!bodyless) {
    out.body = std::move(resp.body);
    if (!out.body.empty() && !has_content_type)
      append_field(out.head, "Content-Type", "application/json");
  }
  if (framing.version >= 11 && !out.keep_alive)
    out.head.append("Connection: close\r\n");
  else if (framing.version < 11 && out.keep_alive)
    out.head.append("Connection: keep-alive\r\n");
  if (!bodyless) {
    out.head.append("Content-Length: ");
    append_number(out.head, out.body.size());
    out.head.append("\r\n");
  }
  out.head.append("\r\n");
  // HEAD: the headers of the would-be answer, no body, so that the framing of the
  // next request on this connection stays intact.
  if (framing.head_request)
    out.body.clear();
  return out;
}

}  // namespace svc::http
