// Whether a request's header lets the server find where its body ends, decided
// before any body byte is read (RFC 9112 3.2, 6.1, 6.3). A request refused here
// is answered and its connection closed: the bytes after it could belong to a
// smuggled request.
//
// Takes Beast's header type, so it is included only by http/session.cpp and the
// fuzzer (tests/fuzz/fuzz_request_framing.cpp), never by widely-included headers.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <boost/beast/http/message.hpp>

#include "http/envelope.hpp"

namespace svc::http {

// Why the header cannot be served (a 400 BAD_REQUEST), or nullopt. Refused:
//  - Transfer-Encoding whose codings, over all its field lines, are not exactly
//    "chunked": no other coding is decoded here, and Beast reads a body that is
//    not chunked-last as empty, leaving its bytes to be parsed as the next request;
//  - Transfer-Encoding together with Content-Length, or in an HTTP/1.0 request;
//  - more than one Content-Length value (several lines, or a list such as "5, 5",
//    which Beast takes when the copies agree): a length must be unambiguous;
//  - an HTTP/1.1 request without Host, any request with more than one Host line.
std::optional<std::string> framing_error(const boost::beast::http::request_header<>& header);

struct header_refusal {
  error_code code;
  std::string message;
};

// The answer to a header that overflowed `limit` bytes. `request_line_parsed`:
// Beast got through the request line; `unparsed`: the bytes of this request the
// parser has not consumed (the whole request when the request line was not parsed).
//   - the request line ended within the limit        -> 431 REQUEST_HEADER_FIELDS_TOO_LARGE
//   - it did not, and it is a method, a space, then
//     a request target still going (or its version)  -> 414 URI_TOO_LONG
//   - it did not, and it looks like no request line  -> 400 BAD_REQUEST
header_refusal oversized_header_refusal(bool request_line_parsed, std::string_view unparsed,
                                        std::size_t limit);

}  // namespace svc::http
