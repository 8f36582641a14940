// support/fake_server.hpp: a scriptable HTTP/1.1 server on loopback standing in
// for a neighbour (user-service) in tests of the project's own client code.
//
// fake_server runs a handler on its own io_context thread, counts connections
// and requests, and misbehaves on purpose: a request the handler does not answer
// (std::nullopt) holds its connection open (a hung neighbour); it can close on
// every request, drop its keep-alive connections, go away (stop) and come back on
// the same port (start).
//
// fake_user_service is user-service scripted on it: GET .../users/{id} answers
// the contract's envelope, and a test switches it to fail (500) or hang.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

namespace svc_test {

class fake_server {
public:
  using request = boost::beast::http::request<boost::beast::http::string_body>;
  using response = boost::beast::http::response<boost::beast::http::string_body>;
  // std::nullopt: read the request and never answer it. Runs on the server's
  // thread; an exception it throws is answered with 500.
  using handler = std::function<std::optional<response>(const request&)>;

  // Starts listening on a free port of 127.0.0.1.
  explicit fake_server(handler h);
  ~fake_server();
  fake_server(const fake_server&) = delete;
  fake_server& operator=(const fake_server&) = delete;

  std::uint16_t port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::size_t accepted() const { return accepted_; }
  std::size_t requests() const { return requests_; }
  // From now on a request is answered by closing the connection.
  void close_on_request(bool on) { close_on_request_ = on; }

  // Closes every open connection, as a server's keep-alive timeout or a restart
  // would; returns once they are closed.
  void drop_connections();
  // Stops listening and closes every connection (unanswered requests included):
  // the neighbour is gone. start() listens again on the same port.
  void stop();
  void start();

private:
  struct state;  // the io_context, its thread and the sessions (fake_server.cpp)
  handler handler_;
  std::uint16_t port_ = 0;
  std::atomic<std::size_t> accepted_{0};
  std::atomic<std::size_t> requests_{0};
  std::atomic<bool> close_on_request_{false};
  std::unique_ptr<state> state_;
};

class fake_user_service {
public:
  enum class mode { answer, fail, hang };

  fake_user_service();

  // Users that exist; everything else is a 404.
  std::set<long> users{1, 2, 3};
  std::atomic<mode> behaviour{mode::answer};
  std::atomic<int> calls{0};
  // The X-Request-ID of the last request that carried one.
  std::string last_request_id();

  std::string url() const { return server_.url(); }
  void stop() { server_.stop(); }
  void start() { server_.start(); }

private:
  std::optional<fake_server::response> answer(const fake_server::request& req);

  std::mutex mutex_;
  std::string last_request_id_;
  fake_server server_;  // last: stopped before the members its handler reads go
};

}  // namespace svc_test
