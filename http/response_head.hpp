// The framing of a handler's response on one connection: which of its headers go
// out, the status line, Content-Type, Connection and Content-Length, HEAD. A pure
// function of the response and the request's framing, so that every rule is
// unit-tested without a socket (tests/http/response_head_test.cpp).
//
// Why not Beast's fields: building a bhttp::response and copying its header out
// cost about 6 200 instructions of a /health/live request of 20 400 (one
// allocation and red-black-tree insert per field, a hash lookup of each name,
// then a walk over a dozen buffers). A response head is the status line and
// "name: value" lines; Beast still parses every request, and its table gives the
// reason phrase. Names and values are checked here, where Beast's fields did not;
// tests/fuzz/fuzz_response_head.cpp parses what comes out with Beast's parser.
#pragma once

#include <string>

#include "http/message.hpp"

namespace svc::http {

struct response_framing {
  unsigned version = 11;   // of the request: 10 or 11; the response speaks the same
  bool keep_alive = true;  // the request allows it and the server is not draining
  bool head_request = false;
};

struct framed_response {
  std::string head;        // status line, header lines and the empty line
  std::string body;        // empty for HEAD, 204 and 304
  bool keep_alive = true;  // the connection stays open after this response
};

// What goes on the wire for `resp`:
// - a status outside 200..599 becomes 500 (a 1xx is never a final answer);
// - the handler's Connection, Content-Length and Transfer-Encoding are dropped (framing is
//   the server's), but "Connection: close" from it closes the connection after this
//   response; a header whose name is not a token is dropped, and a control character in a
//   value (CR and LF included, HTAB not) becomes a blank;
// - a body without Content-Type is sent as application/json;
// - Content-Length on every response but 204 and 304 (RFC 9110 8.6 forbids it there);
//   a HEAD response has the length of the body it would have had, and no body;
// - Connection: close (HTTP/1.1) or keep-alive (HTTP/1.0) when that differs from the
//   version's default.
framed_response frame_response(response resp, const response_framing& framing);

}  // namespace svc::http
