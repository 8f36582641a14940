// A tiny Beast server on loopback (port 0) for the client tests. It runs on its
// own io_context thread, counts connections and requests, and can misbehave on
// purpose: not answer, drop its keep-alive connections, close on a request.
#pragma once

#include <atomic>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace svc::http::test {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using beast_request = bhttp::request<bhttp::string_body>;
using beast_response = bhttp::response<bhttp::string_body>;

class test_server {
public:
  // std::nullopt: read the request and never answer it.
  using handler = std::function<std::optional<beast_response>(const beast_request&)>;

  explicit test_server(handler h) : handler_{std::move(h)} {
    acceptor_.open(tcp::v4());
    acceptor_.set_option(net::socket_base::reuse_address{true});
    acceptor_.bind({net::ip::make_address("127.0.0.1"), 0});
    acceptor_.listen();
    accept();
    thread_ = std::thread{[this] { ioc_.run(); }};
  }

  ~test_server() {
    ioc_.stop();
    thread_.join();
  }

  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  std::size_t accepted() const { return accepted_; }
  std::size_t requests() const { return requests_; }
  // From now on a request is answered by closing the connection.
  void close_on_request(bool on) { close_on_request_ = on; }

  // Closes every open connection, as a server's keep-alive timeout or a
  // restart would; returns once they are closed.
  void drop_connections() {
    std::promise<void> done;
    net::post(ioc_, [&] {
      for (auto& weak : sessions_)
        if (auto s = weak.lock()) {
          beast::error_code ignored;
          s->socket.shutdown(tcp::socket::shutdown_both, ignored);
          s->socket.close(ignored);
        }
      sessions_.clear();
      done.set_value();
    });
    done.get_future().wait();
  }

private:
  struct session {
    explicit session(tcp::socket s) : socket{std::move(s)} {}
    tcp::socket socket;
    beast::flat_buffer buffer;
    beast_request req;
    beast_response res;
  };

  void accept() {
    acceptor_.async_accept([this](beast::error_code ec, tcp::socket socket) {
      if (ec)
        return;
      ++accepted_;
      auto s = std::make_shared<session>(std::move(socket));
      sessions_.push_back(s);
      read(s);
      accept();
    });
  }

  void read(std::shared_ptr<session> s) {
    s->req = {};
    bhttp::async_read(s->socket, s->buffer, s->req, [this, s](beast::error_code ec, std::size_t) {
      if (ec)
        return;
      ++requests_;
      if (close_on_request_) {
        beast::error_code ignored;
        s->socket.close(ignored);
        return;
      }
      auto res = handler_(s->req);
      if (!res)
        return read(s);  // hold the connection, never answer
      s->res = std::move(*res);
      s->res.version(11);
      s->res.keep_alive(s->req.keep_alive());
      s->res.prepare_payload();
      bhttp::async_write(s->socket, s->res, [this, s](beast::error_code ec, std::size_t) {
        if (!ec)
          read(s);
      });
    });
  }

  handler handler_;
  net::io_context ioc_;
  tcp::acceptor acceptor_{ioc_};
  std::vector<std::weak_ptr<session>> sessions_;  // only touched on the server thread
  std::atomic<std::size_t> accepted_{0};
  std::atomic<std::size_t> requests_{0};
  std::atomic<bool> close_on_request_{false};
  std::thread thread_;
};

}  // namespace svc::http::test
