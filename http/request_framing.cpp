#include "http/request_framing.hpp"

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/rfc7230.hpp>

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
      chunked = boost::beast::iequals(coding, "chunked");
    }
  }
  return codings == 1 && chunked;
}

}  // namespace

std::optional<std::string> framing_error(const bhttp::request_header<>& header) {
  const auto transfer_encodings = header.count(bhttp::field::transfer_encoding);
  const auto content_lengths = header.count(bhttp::field::content_length);
  if (transfer_encodings > 0) {
    if (header.version() < 11)
      return "Transfer-Encoding in an HTTP/1.0 request";
    if (content_lengths > 0)
      return "both Transfer-Encoding and Content-Length";
    if (!codings_are_just_chunked(header))
      return "unsupported Transfer-Encoding (only chunked)";
  }
  if (content_lengths > 1 ||
      (content_lengths == 1 && header[bhttp::field::content_length].find(',') != std::string_view::npos))
    return "more than one Content-Length";
  const auto hosts = header.count(bhttp::field::host);
  if (hosts > 1)
    return "more than one Host";
  if (hosts == 0 && header.version() >= 11)
    return "missing Host";
  return std::nullopt;
}

}  // namespace svc::http
