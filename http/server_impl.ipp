// Private to server.cpp, session.cpp and session_response.cpp: the Beast-facing
// internals of http::server. Named .ipp, not .hpp, because it pulls in Beast and
// Asio and must never be included from outside http/.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "http/envelope.hpp"
#include "http/io_threads.hpp"
#include "http/server.hpp"

namespace svc::http {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = net::ip::tcp;

// Responders run on foreign threads; they may post to a connection's I/O
// thread only while the io_contexts exist. stop() closes the gate (exclusively) before
// it tears the io_context down.
struct post_gate {
  std::shared_mutex mutex;
  bool open = true;
};

class session;

struct server::impl {
  impl(server_options options, request_handler handler, const std::shared_ptr<io_threads>& io);
  ~impl();  // NOLINT(bugprone-exception-escape): a throw terminates, on purpose (server.cpp)

  void start();
  void stop_accepting();
  void stop();

  void do_accept();
  net::io_context& next_context();
  void on_accept(beast::error_code ec, tcp::socket socket);
  void stop_accepting_locked();
  bool on_io_thread() const { return io->current_index().has_value(); }
  void close_sessions_and_wait();
  static std::string peer_address(const tcp::socket& socket);

  // Called by sessions.
  void request_done();
  void unregister(session* s);
  std::vector<std::shared_ptr<session>> snapshot();

  const server_options opts;
  const request_handler handler;
  const std::shared_ptr<post_gate> gate = std::make_shared<post_gate>();

  std::atomic<std::size_t> in_flight{0};
  std::atomic<std::size_t> open{0};
  std::atomic<bool> draining{false};
  std::atomic<std::uint16_t> bound_port{0};
  std::mutex drain_mutex;
  std::condition_variable drained;

  // Every live session, owned here while it waits for its handler's response
  // (then nothing else holds it); removed when the session closes.
  std::mutex sessions_mutex;
  std::unordered_map<session*, std::shared_ptr<session>> sessions;

  std::mutex lifecycle_mutex;
  bool started = false;
  bool stopped = false;

  // Declared after everything a session touches: members die in reverse order,
  // so sessions still queued in an io_context are destroyed while the
  // counters and the registry above are alive.
  //
  // Sessions alive (constructed, not yet destroyed): stop() waits for zero
  // before the impl may go while shared I/O threads keep running.
  std::atomic<std::size_t> live_sessions{0};
  // One io_context per I/O thread, each connection pinned to one of them: a
  // connection's handlers then never run concurrently without a strand, and a
  // ready socket never wakes a second thread to run its handler (with one
  // shared io_context that hand-off cost a context switch per request or so).
  // Shared with the actor scheduler in the services (runtime/io_scheduler.cpp);
  // the server's own when constructed without them (owns_io).
  std::shared_ptr<io_threads> io;
  bool owns_io = false;
  std::size_t next_context_index = 0;  // touched only on context 0's thread
  tcp::acceptor acceptor;              // on context 0
  net::steady_timer accept_retry;
};

// One TCP connection: reads a request, hands it to the handler, writes the
// response, repeats while keep-alive holds. Every member function except the
// constructor, executor() and force_close() runs on the connection's I/O thread.
// With a TLS context (server_options::tls) the connection starts with the TLS
// handshake and every byte goes through it.
class session : public std::enable_shared_from_this<session> {
public:
  session(server::impl& srv, tcp::socket&& socket, std::string remote_ip,
          std::shared_ptr<ssl::context> tls = nullptr);
  ~session();

  net::any_io_executor executor() const { return executor_; }
  bool running_in_this_thread() const {
    const auto* io = executor_.target<net::io_context::executor_type>();
    return io && io->running_in_this_thread();
  }
  void start();
  void close_if_idle();
  void close();  // at once, whatever the phase (server::stop)
  void deliver(std::uint64_t seq, response resp);
  void force_close();  // only once the I/O threads are joined

private:
  enum class phase { awaiting, reading, handling, writing, closing };

  void handshake();
  void on_handshake(beast::error_code ec);
  void read_request();
  void on_first_bytes(beast::error_code ec, std::size_t n);
  void read_header();
  void on_header(beast::error_code ec, std::size_t n);
  void on_continue_written(beast::error_code ec, std::size_t n);
  void read_body();
  void on_body(beast::error_code ec, std::size_t n);
  void on_read_error(beast::error_code ec);
  bool parse_buffered(bool whole_message, beast::error_code& ec);
  void dispatch_request();
  // A request refused before it was read whole: answered by the handler (with what
  // was parsed of it) or by the server itself; the connection closes after it.
  void refuse(error_code code, std::string message);
  void hand_to_handler(request req);
  request parsed_request() const;  // the method, target, headers and peer parsed so far
  response server_error(error_code code, std::string message) const;
  void send_server_error(error_code code, std::string message);
  void on_response_timeout();
  void set_deadline(std::chrono::steady_clock::duration after);
  void arm_deadline_timer();
  void on_deadline_timer();
  void write(response resp, bool keep_alive_allowed);
  void prepare(response resp, bool keep_alive_allowed);
  void on_write(bool keep_alive, beast::error_code ec, std::size_t n);
  void linger();
  void on_linger(beast::error_code ec, std::size_t n);
  void count_in_flight();
  void finish_in_flight();
  void release_slot();

  // The TCP socket under TLS, or the plain one.
  tcp::socket& tcp_layer() { return tls_ ? beast::get_lowest_layer(*tls_) : *plain_; }
  // Calls f with the stream requests and responses go through.
  template <class F>
  void with_stream(F&& f) {
    if (tls_)
      f(*tls_);
    else
      f(*plain_);
  }

  server::impl& srv_;
  const net::any_io_executor executor_;
  const std::shared_ptr<ssl::context> tls_context_;  // kept for tls_, which refers to it
  std::optional<tcp::socket> plain_;
  std::optional<beast::ssl_stream<tcp::socket>> tls_;
  // One deadline per connection, whatever the phase (header, idle, body, write,
  // response_timeout, linger), on one timer that is armed lazily (set_deadline).
  // beast::tcp_stream armed and cancelled a timer per read and per write: about
  // 6 % of a /health/live request's instructions.
  net::steady_timer deadline_timer_;
  std::chrono::steady_clock::time_point deadline_ = std::chrono::steady_clock::time_point::max();
  // What deadline_timer_ waits for; max() while no wait is pending.
  std::chrono::steady_clock::time_point timer_expiry_ =
    std::chrono::steady_clock::time_point::max();
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::string head_;  // the response being written: status line and headers (frame_response)
  std::string body_;  // and its body
  bhttp::response<bhttp::empty_body> continue_;
  std::array<char, 4096> discard_{};
  const std::string remote_ip_;
  phase phase_ = phase::awaiting;
  std::uint64_t seq_ = 0;  // identifies the request a responder belongs to
  unsigned version_ = 11;  // of the current request, echoed in the response
  bool request_keep_alive_ = true;
  bool head_request_ = false;
  bool first_request_ = true;
  bool counted_ = false;   // this request is counted in impl::in_flight
  bool slot_held_ = true;  // this connection is counted in impl::open
  bool closed_ = false;
};

}  // namespace svc::http
