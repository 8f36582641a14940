// A small Beast client for driving http::server over loopback in tests. Reads
// are asynchronous underneath only so that they can time out.
#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "http/server.hpp"

namespace svc::http::test {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using beast_response = bhttp::response<bhttp::string_body>;
using beast_request = bhttp::request<bhttp::string_body>;

class test_client {
public:
  explicit test_client(std::uint16_t port) {
    stream_.connect(tcp::endpoint{net::ip::make_address("127.0.0.1"), port});
  }

  void write_raw(std::string_view data) { net::write(stream_.socket(), net::buffer(data)); }

  void send(beast_request req) {
    req.prepare_payload();
    bhttp::write(stream_.socket(), req);
  }

  // The next response, or the error that ended the wait (timeout, eof, reset).
  beast::error_code read(beast_response& res, std::chrono::seconds timeout = std::chrono::seconds{5}) {
    beast::error_code result = beast::error::timeout;
    stream_.expires_after(timeout);
    bhttp::async_read(stream_, buffer_, res, [&](beast::error_code ec, std::size_t) { result = ec; });
    run();
    return result;
  }

  // The response to a HEAD request: headers only, whatever Content-Length says.
  beast::error_code read_head_response(beast_response& res) {
    bhttp::response_parser<bhttp::string_body> parser;
    parser.skip(true);
    beast::error_code result = beast::error::timeout;
    stream_.expires_after(std::chrono::seconds{5});
    bhttp::async_read(stream_, buffer_, parser, [&](beast::error_code ec, std::size_t) { result = ec; });
    run();
    res = parser.release();
    return result;
  }

  beast_response round_trip(beast_request req) {
    send(std::move(req));
    beast_response res;
    auto ec = read(res);
    if (ec)
      throw beast::system_error{ec};
    return res;
  }

  // Waits for the server to close the connection: true when it did within
  // `timeout` (end of stream or reset), false when the connection stayed open.
  bool closed_by_peer(std::chrono::milliseconds timeout) {
    beast::error_code result = beast::error::timeout;
    std::array<char, 512> scratch{};
    stream_.expires_after(timeout);
    std::function<void(beast::error_code, std::size_t)> on_read;
    on_read = [&](beast::error_code ec, std::size_t) {
      if (ec) {
        result = ec;
        return;
      }
      stream_.async_read_some(net::buffer(scratch), on_read);  // discard, read on
    };
    stream_.async_read_some(net::buffer(scratch), on_read);
    run();
    return result != beast::error::timeout;
  }

private:
  void run() {
    ioc_.restart();
    ioc_.run();
  }

  net::io_context ioc_;
  beast::tcp_stream stream_{ioc_};
  beast::flat_buffer buffer_;
};

inline beast_request make_request(bhttp::verb method, std::string target, std::string body = {}) {
  beast_request req{method, target, 11};
  req.set(bhttp::field::host, "localhost");
  req.body() = std::move(body);
  return req;
}

// Runs callbacks on threads of its own, like actors answering later; joins them
// when destroyed.
class async_answerer {
public:
  ~async_answerer() {
    std::lock_guard lock{mutex_};
    for (auto& t : threads_)
      t.join();
  }
  template <class Fn>
  void later(std::chrono::milliseconds delay, Fn fn) {
    std::lock_guard lock{mutex_};
    threads_.emplace_back([delay, fn = std::move(fn)]() mutable {
      std::this_thread::sleep_for(delay);
      fn();
    });
  }

private:
  std::mutex mutex_;
  std::vector<std::thread> threads_;
};

}  // namespace svc::http::test
