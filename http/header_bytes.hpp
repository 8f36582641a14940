// The bytes of an HTTP message's start line and fields as Beast writes them,
// so that the message goes out as two plain buffers (header, body) through
// asio::async_write. Used for http::client's requests; the server's responses
// are framed by http/response_head.hpp, without Beast's fields.
// bhttp::async_write walks Beast's view of a dozen buffers again at each step
// of a write: about a sixth of a GET's instructions went there
// (docs/PERFORMANCE.md, "Instructions per request"). The header comes from the
// fields' own writer (`Fields::writer` of Beast's Fields requirements, what its
// serializer writes the header with), copied in one pass: the serializer's
// splitting and consuming machinery around it cost about as much again.
// Internal to http/: it includes Beast.
#pragma once

#include <array>
#include <string>

#include <boost/asio/buffer.hpp>
#include <boost/beast/core/buffer_traits.hpp>
#include <boost/beast/http/message.hpp>

namespace svc::http {

namespace detail {

template <class Writer>
void copy_header(const Writer& writer, std::string& out) {
  const auto buffers = writer.get();
  out.resize(boost::beast::buffer_bytes(buffers));
  boost::asio::buffer_copy(boost::asio::buffer(out), buffers);
}

}  // namespace detail

// Writes `msg`'s header (start line, fields, the empty line) into `out`,
// replacing what was there.
template <bool IsRequest, class Body, class Fields>
void header_bytes(const boost::beast::http::message<IsRequest, Body, Fields>& msg,
                  std::string& out) {
  if constexpr (IsRequest)
    detail::copy_header(typename Fields::writer{msg.base(), msg.version(), msg.method()}, out);
  else
    detail::copy_header(typename Fields::writer{msg.base(), msg.version(), msg.result_int()}, out);
}

// The header bytes and the string body of a message, as one buffer sequence.
inline std::array<boost::asio::const_buffer, 2> header_and_body(const std::string& header,
                                                                const std::string& body) {
  return {boost::asio::buffer(header), boost::asio::buffer(body)};
}

}  // namespace svc::http
