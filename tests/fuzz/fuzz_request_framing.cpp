// Fuzz target: raw bytes as a request header, parsed by Beast's request parser
// the way http/session.cpp reads it, then judged by http::framing_error. Checks
// that a request the rule accepts can be framed one way only (no Transfer-Encoding
// and at most one Content-Length value, or exactly "chunked" with Beast in chunked
// mode and no Content-Length), and that an independent statement of the rule,
// written from RFC 9112 without Beast's list parsers, agrees with it. The answer
// to an oversized header (431 / 414 / 400) is checked on the same bytes.
#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>

#include "fuzz_check.hpp"
#include "fuzz_text.hpp"
#include "http/request_framing.hpp"

namespace {

namespace bhttp = boost::beast::http;
using svc::http::error_code;

constexpr std::size_t header_limit = 1024;

bool is_tchar(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         std::string_view{"!#$%&'*+-.^_`|~"}.find(c) != std::string_view::npos;
}

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

std::string without_leading_zeros(std::string_view digits) {
  while (digits.size() > 1 && digits.front() == '0')
    digits.remove_prefix(1);
  return std::string{digits};
}

// Every value of the field `name` (compared without case), in order.
std::vector<std::string> values_of(const bhttp::request_header<>& h, std::string_view name) {
  std::vector<std::string> out;
  for (const auto& f : h)
    if (svc::fuzz::ascii_lowered(f.name_string()) == name)
      out.emplace_back(f.value());
  return out;
}

// The codings of every Transfer-Encoding line, split on ',' with empty elements
// dropped (RFC 9110 5.6.1); nullopt when an element is not a token.
std::optional<std::vector<std::string>> codings(const std::vector<std::string>& lines) {
  std::vector<std::string> out;
  for (const auto& line : lines) {
    std::string_view rest = line;
    for (;;) {
      auto comma = rest.find(',');
      auto element = trim_ows(rest.substr(0, comma));
      if (!element.empty()) {
        if (!std::all_of(element.begin(), element.end(), is_tchar))
          return std::nullopt;
        out.push_back(svc::fuzz::ascii_lowered(element));
      }
      if (comma == std::string_view::npos)
        break;
      rest.remove_prefix(comma + 1);
    }
  }
  return out;
}

// The rule of http/request_framing.hpp, stated again from the RFC.
bool reference_accepts(const bhttp::request_header<>& h) {
  auto te = values_of(h, "transfer-encoding");
  auto cl = values_of(h, "content-length");
  auto hosts = values_of(h, "host");
  if (!te.empty()) {
    if (h.version() != 11 || !cl.empty())
      return false;
    auto list = codings(te);
    if (!list || *list != std::vector<std::string>{"chunked"})
      return false;
  }
  if (cl.size() > 1 || (cl.size() == 1 && cl[0].find(',') != std::string::npos))
    return false;
  return hosts.size() == 1 || (hosts.empty() && h.version() < 11);
}

void check_accepted(const bhttp::request_parser<bhttp::empty_body>& parser) {
  const auto& h = parser.get();
  auto te = values_of(h, "transfer-encoding");
  auto cl = values_of(h, "content-length");
  if (te.empty()) {
    FUZZ_CHECK(cl.size() <= 1);
    FUZZ_CHECK(!parser.chunked());
    if (cl.size() == 1) {
      FUZZ_CHECK(cl[0].find(',') == std::string::npos, cl[0]);
      FUZZ_CHECK(parser.content_length().has_value() && std::to_string(*parser.content_length()) ==
                                                          without_leading_zeros(trim_ows(cl[0])),
                 cl[0]);
    } else {
      FUZZ_CHECK(!parser.content_length().has_value());
    }
  } else {
    auto list = codings(te);
    FUZZ_CHECK(list && *list == std::vector<std::string>{"chunked"}, te.front());
    FUZZ_CHECK(parser.chunked(), te.front());
    FUZZ_CHECK(cl.empty() && !parser.content_length().has_value());
    FUZZ_CHECK(h.version() == 11);
  }
  if (h.version() >= 11)
    FUZZ_CHECK(values_of(h, "host").size() == 1);
}

void check_oversized(std::string_view input) {
  for (std::size_t limit : {std::size_t{16}, std::size_t{64}, header_limit}) {
    for (bool parsed : {false, true}) {
      auto refusal = svc::http::oversized_header_refusal(parsed, input, limit);
      FUZZ_CHECK(!refusal.message.empty());
      auto line_ends = input.substr(0, limit).find("\r\n") != std::string_view::npos;
      if (parsed || line_ends) {
        FUZZ_CHECK(refusal.code == error_code::request_header_fields_too_large);
        continue;
      }
      FUZZ_CHECK(refusal.code == error_code::uri_too_long ||
                 refusal.code == error_code::bad_request);
      if (refusal.code == error_code::uri_too_long) {
        // A method token, one space, then the start of a target.
        auto space = input.find(' ');
        FUZZ_CHECK(space > 0 && space < limit, input.substr(0, limit));
        FUZZ_CHECK(
          std::all_of(input.begin(), input.begin() + static_cast<std::ptrdiff_t>(space), is_tchar));
        FUZZ_CHECK(space + 1 < input.size() && input[space + 1] > 0x20 && input[space + 1] < 0x7f);
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input{reinterpret_cast<const char*>(data), size};
  check_oversized(input);

  bhttp::request_parser<bhttp::empty_body> parser;
  parser.header_limit(header_limit);
  parser.eager(false);
  boost::beast::error_code ec;
  std::size_t offset = 0;
  while (!parser.is_header_done() && offset < input.size()) {
    auto used = parser.put(boost::asio::buffer(input.data() + offset, input.size() - offset), ec);
    if (ec)
      return 0;  // need_more (the input ended) or a parse error: session answers those itself
    if (used == 0)
      break;
    offset += used;
  }
  if (!parser.is_header_done())
    return 0;

  const auto& header = parser.get();
  auto error = svc::http::framing_error(header);
  FUZZ_CHECK(!error || !error->empty());
  FUZZ_CHECK(!error == reference_accepts(header), error ? *error : "accepted");
  if (!error)
    check_accepted(parser);
  return 0;
}
