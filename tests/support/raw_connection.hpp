// support/raw_connection.hpp: a TCP connection to 127.0.0.1 that the test holds
// open and writes to as it likes, for what http_client (one well-formed request,
// one answer) cannot do: slow clients, idle connections, pipelined or garbage
// bytes, HEAD answers, and telling "the server closed" from "the server is still
// waiting".
//
// Every wait has a deadline, and a deadline that passes leaves the connection
// open (the pending read is cancelled, the socket is not closed). Every byte read
// is kept in received(); responses are parsed from it in order.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http.hpp>

#include "support/http_client.hpp"

namespace svc_test {

namespace bhttp = boost::beast::http;
using beast_request = bhttp::request<bhttp::string_body>;
using beast_response = bhttp::response<bhttp::string_body>;

class raw_connection {
public:
  // Connects within `timeout`; throws boost::system::system_error (a
  // std::runtime_error) when the connect fails or times out.
  explicit raw_connection(std::uint16_t port,
                          std::chrono::milliseconds timeout = std::chrono::seconds{10});
  ~raw_connection();
  raw_connection(const raw_connection&) = delete;
  raw_connection& operator=(const raw_connection&) = delete;

  // Writes every byte within `timeout`; false when the server has closed or reset
  // the connection, or the deadline passed.
  bool send(std::string_view bytes, std::chrono::milliseconds timeout = std::chrono::seconds{10});
  // Writes `req` (its payload prepared first); the transport error, if any.
  boost::system::error_code send_request(beast_request req,
                                         std::chrono::milliseconds timeout = std::chrono::seconds{
                                           10});

  // The next response: success, or what ended the wait (beast::error::timeout,
  // bhttp::error::end_of_stream, a parse error). head: the answer to a HEAD
  // request (headers only, whatever Content-Length says).
  boost::system::error_code read(beast_response& res,
                                 std::chrono::milliseconds timeout = std::chrono::seconds{5},
                                 bool head = false);
  boost::system::error_code read_head_response(beast_response& res) {
    return read(res, std::chrono::seconds{5}, true);
  }
  // The next response as a reply; nullopt when none is complete before the server
  // closes or `timeout` passes.
  std::optional<reply> read_response(std::chrono::milliseconds timeout);
  // send_request() and read(); throws boost::system::system_error on failure.
  beast_response round_trip(beast_request req);

  // Reads until the server closes the connection or `timeout` passes; true on a
  // close (EOF or reset). Whatever arrived is appended to received().
  bool wait_closed(std::chrono::milliseconds timeout);

  // Whether the server closed the connection (EOF or reset), as far as a read has
  // seen. A failed send() does not tell: wait_closed() then reads the close.
  bool closed() const { return closed_; }
  const std::string& received() const { return received_; }
  // Bytes received and not yet taken by a response.
  std::size_t unread() const { return received_.size() - consumed_; }
  // Drops the bytes earlier responses took (a long-lived connection's memory).
  void forget_consumed();

private:
  using clock_type = std::chrono::steady_clock;
  // Runs the pending operation until `done` or `deadline`; cancels it then (the
  // socket stays open). False when the deadline came first.
  bool run_until(clock_type::time_point deadline, const bool& done);
  // One read; false when nothing arrived before `deadline`.
  bool read_some(clock_type::time_point deadline);

  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::socket socket_{ioc_};
  bool closed_ = false;  // a read saw EOF or a reset
  std::string received_;
  std::size_t consumed_ = 0;  // bytes of received_ that earlier responses took
};

// A request with Host: localhost and `body`, HTTP/1.1.
beast_request make_request(bhttp::verb method, std::string target, std::string body = {});

// The reply view of a Beast response (lower-case header names, repeats joined).
reply to_reply(const beast_response& res);

}  // namespace svc_test
