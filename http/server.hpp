// An asynchronous HTTP/1.1 server (Boost.Beast) that hands each request to a
// plain C++ handler and writes whatever response the handler later delivers.
// Beast stays inside server.cpp so that code including this header (the actors)
// compiles without it.
//
// Threading: I/O threads (http/io_threads.hpp), each running its own
// io_context; each connection lives on one of them. Either the server's own
// (`threads` of them) or threads it shares, e.g. with the actor scheduler. The
// handler is called on the connection's thread and must not block; it answers
// through the responder, from any thread, at any later time: an answer given on
// the connection's own thread is written at once, without a hand-off.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "http/message.hpp"

namespace svc::http {

class io_threads;
class tls_certificate;

struct server_options {
  std::string host = "0.0.0.0";
  std::uint16_t port = 0;                // 0: an ephemeral port, see server::port()
  unsigned threads = 2;                  // only when the server has I/O threads of its own
  std::size_t max_body_bytes = 1048576;  // larger bodies: 413, refused from Content-Length
  std::size_t max_header_bytes = 16384;  // larger headers: 400
  std::chrono::seconds header_timeout{
    10};  // from connect (or a request's first byte) to end of headers
  std::chrono::seconds idle_timeout{60};  // keep-alive wait; also bounds body reads and writes
  std::size_t max_connections = 10000;    // connections over this are closed at once
  // A handler that has not answered by then gets a 503 SERVICE_UNAVAILABLE sent
  // for it (its late answer is dropped). Only a lost answer can take this long:
  // the actors behind the handler bound every wait they do themselves.
  std::chrono::seconds response_timeout{130};
  // The handler answers the requests the server refuses (request::refused), so
  // that they get the handler's headers, metrics and log line like any other
  // answer; false: the server answers them itself, with the request id only.
  bool handler_answers_refusals = false;
  // HTTPS: every connection is TLS with this certificate (http/tls.hpp); null: plain HTTP.
  std::shared_ptr<tls_certificate> tls{};
};

// Delivers the response for one request. Call it exactly once, from any thread;
// later calls are ignored. If every copy is destroyed without a call, the
// server answers 500 itself so that the connection is not left hanging.
using responder = std::function<void(response)>;

// Called once per request, on the connection's I/O thread; must not block. An
// exception it throws becomes a 500 INTERNAL_ERROR envelope.
using request_handler = std::function<void(request&&, responder)>;

class server {
public:
  // Without `threads` the server runs (and on stop() joins) I/O threads of its
  // own. With them it only uses them: they must run while the server serves,
  // and may outlive it.
  server(server_options options, request_handler handler,
         const std::shared_ptr<io_threads>& threads = nullptr);
  ~server();  // stop()
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  // Binds, listens and starts the I/O threads. Throws std::runtime_error naming
  // the address when the address cannot be resolved or bound; std::logic_error
  // when called twice.
  void start();

  // The bound port (the real one when options.port was 0); 0 before start().
  std::uint16_t port() const;

  // Closes the listener and the connections that sit idle between requests.
  // Requests already started are served; their responses carry
  // "Connection: close" so that clients move to another instance.
  void stop_accepting();

  // Waits until no request is in flight (headers read, response not yet fully
  // written). True when that happened within `timeout`.
  bool drain(std::chrono::milliseconds timeout);

  // Closes every connection and waits until none is left; then stops and joins
  // the I/O threads if they are the server's own. Idempotent. Responses
  // delivered afterwards are dropped. Not to be called from an I/O thread.
  void stop();

  std::size_t in_flight() const;
  std::size_t open_connections() const;

  struct impl;

private:
  std::unique_ptr<impl> impl_;
};

}  // namespace svc::http
