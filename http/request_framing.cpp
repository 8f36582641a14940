#include "http/request_framing.hpp"

#include <boost/beast/http/rfc7230.hpp>

#include "domain/ascii_text.hpp"

namespace svc::http {
namespace {

namespace bhttp = boost::beast::http;

// opt_token_list + validate_list, not token_list: token_list stops silently at
// the first bad character, so "chunked;x=1" would read as "chunked" (which is
// exactly what Beast's own parser does with it).
bool codings_are_just_chunked(const bhttp::request_header<>& header) {
  std::size_t codings = 0;
  bool chunked = false;
  auto [first, last] = header.equal_range(bhttp::field::transfer_encoding);
  for (auto it = first; it != last; ++it) {
    bhttp::opt_token_list list{it->value()};
    if (!bhttp::validate_list(list))
      return false;
    for (auto coding : list) {
      ++codings;
      chunked = ascii_iequals(coding, "chunked");
    }
  }
  return codings == 1 && chunked;
}

bool is_tchar(char c) {
  static constexpr std::string_view extra = "!#$%&'*+-.^_`|~";
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         extra.find(c) != std::string_view::npos;
}

// A prefix of "HTTP/" DIGIT "." DIGIT: the version, cut off by the limit.
bool is_version_prefix(std::string_view s) {
  static constexpr std::string_view pattern = "HTTP/0.0";
  if (s.size() > pattern.size())
    return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    bool ok = pattern[i] == '0' ? s[i] >= '0' && s[i] <= '9' : s[i] == pattern[i];
    if (!ok)
      return false;
  }
  return true;
}

}  // namespace

std::optional<std::string> framing_error(const bhttp::request_header<>& header) {
  // One pass over the fields (Beast knows each known name's enum): three
  // count() calls would each search the field set by name.
  std::size_t transfer_encodings = 0, content_lengths = 0, hosts = 0;
  bool content_length_list = false;
  for (const auto& f : header) {
    switch (f.name()) {
      case bhttp::field::transfer_encoding: ++transfer_encodings; break;
      case bhttp::field::content_length:
        ++content_lengths;
        content_length_list = content_length_list || f.value().find(',') != std::string_view::npos;
        break;
      case bhttp::field::host: ++hosts; break;
      default: break;
    }
  }
  if (transfer_encodings > 0) {
    if (header.version() < 11)
      return "Transfer-Encoding in an HTTP/1.0 request";
    if (content_lengths > 0)
      return "both Transfer-Encoding and Content-Length";
    if (!codings_are_just_chunked(header))
      return "unsupported Transfer-Encoding (only chunked)";
  }
  if (content_lengths > 1 || content_length_list)
    return "more than one Content-Length";
  if (hosts > 1)
    return "more than one Host";
  if (hosts == 0 && header.version() >= 11)
    return "missing Host";
  return std::nullopt;
}

header_refusal oversized_header_refusal(bool request_line_parsed, std::string_view unparsed,
                                        std::size_t limit) {
  header_refusal fields{error_code::request_header_fields_too_large,
                        "request header fields too large"};
  if (request_line_parsed)
    return fields;
  auto line = unparsed.substr(0, limit);
  if (line.find("\r\n") != std::string_view::npos)
    return fields;
  header_refusal malformed{error_code::bad_request, "malformed HTTP request"};
  auto space = line.find(' ');
  if (space == 0 || space == std::string_view::npos)
    return malformed;
  for (char c : line.substr(0, space))
    if (!is_tchar(c))
      return malformed;
  auto rest = line.substr(space + 1);
  auto target_end = rest.find(' ');
  auto target = rest.substr(0, target_end);
  if (target.empty())
    return malformed;
  for (char c : target)
    if (c <= 0x20 || c >= 0x7f)
      return malformed;
  if (target_end != std::string_view::npos && !is_version_prefix(rest.substr(target_end + 1)))
    return malformed;
  return {error_code::uri_too_long, "request target too long"};
}

}  // namespace svc::http
