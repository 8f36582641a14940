// The bytes of an HTTP message's start line and fields as Beast serialises them,
// so that the message goes out as two plain buffers (header, body) through
// asio::async_write. bhttp::async_write walks Beast's view of a dozen buffers
// again at each step of a write: about a sixth of a GET's instructions went
// there (docs/PERFORMANCE.md, "Instructions per request"). Internal to http/:
// it includes Beast.
#pragma once

#include <array>
#include <string>

#include <boost/asio/buffer.hpp>
#include <boost/beast/core/buffers_range.hpp>
#include <boost/beast/http/serializer.hpp>

namespace svc::http {

// Writes `msg`'s header into `out` (replacing what was there); false when Beast
// refuses to serialise it.
template <bool IsRequest, class Body, class Fields>
bool header_bytes(boost::beast::http::message<IsRequest, Body, Fields>& msg, std::string& out) {
  out.clear();
  boost::beast::http::serializer<IsRequest, Body, Fields> serializer{msg};
  serializer.split(true);
  boost::beast::error_code ec;
  while (!ec && !serializer.is_header_done())
    serializer.next(ec, [&](boost::beast::error_code&, const auto& buffers) {
      const auto n = boost::beast::buffer_bytes(buffers);
      const auto at = out.size();
      out.resize(at + n);
      boost::asio::buffer_copy(boost::asio::buffer(out.data() + at, n), buffers);
      serializer.consume(n);
    });
  return !ec;
}

// The header bytes and the string body of a message, as one buffer sequence.
inline std::array<boost::asio::const_buffer, 2> header_and_body(const std::string& header,
                                                                const std::string& body) {
  return {boost::asio::buffer(header), boost::asio::buffer(body)};
}

}  // namespace svc::http
