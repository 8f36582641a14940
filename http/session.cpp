// One HTTP/1.1 connection of http::server (see server_impl.ipp): set-up, reading a
// request, deadlines and closing. Handing the request to the handler and writing
// its response: session_response.cpp.
#include "http/server_impl.ipp"

#include "domain/ascii_text.hpp"
#include "http/request_framing.hpp"

namespace svc::http {
namespace {

bool is_http_parse_error(const beast::error_code& ec) {
  return &ec.category() == &bhttp::make_error_code(bhttp::error::bad_target).category();
}

}  // namespace

session::session(server::impl& srv, tcp::socket&& socket, std::string remote_ip,
                 std::shared_ptr<ssl::context> tls)
    : srv_(srv),
      executor_(socket.get_executor()),
      tls_context_(std::move(tls)),
      deadline_timer_(executor_),
      remote_ip_(std::move(remote_ip)) {
  if (tls_context_) {
    tls_.emplace(std::move(socket), *tls_context_);
  } else {
    plain_.emplace(std::move(socket));
    // prepare() writes at once what the socket takes, and must not wait for the rest.
    beast::error_code ignored;
    plain_->non_blocking(true, ignored);
  }
  srv_.live_sessions.fetch_add(1);
}

session::~session() {
  finish_in_flight();
  release_slot();
  srv_.live_sessions.fetch_sub(1);  // the last touch of srv_: stop() may free it next
}

void session::start() {
  net::post(executor_,
            [self = shared_from_this()] { self->tls_ ? self->handshake() : self->read_request(); });
}

void session::handshake() {
  // Counts as waiting for the first request: close_if_idle() may end it, and
  // the handshake shares the first request's header_timeout.
  phase_ = phase::awaiting;
  set_deadline(srv_.opts.header_timeout);
  tls_->async_handshake(ssl::stream_base::server,
                        beast::bind_front_handler(&session::on_handshake, shared_from_this()));
}

void session::on_handshake(beast::error_code ec) {
  // A failed handshake (plain HTTP sent to the TLS port, TLS 1.1, an unknown CA
  // on the client's side) has nobody to answer in HTTP.
  if (ec || closed_) {
    close();
    return;
  }
  read_request();
}

void session::read_request() {
  // A fresh parser per request: Beast parsers are single-use, and the limits
  // must be set before any byte is parsed.
  parser_.emplace();
  parser_->header_limit(
    static_cast<std::uint32_t>(std::min<std::size_t>(srv_.opts.max_header_bytes, UINT32_MAX)));
  parser_->body_limit(srv_.opts.max_body_bytes);
  if (buffer_.size() > 0) {
    // The client already sent (part of) the next request.
    phase_ = phase::reading;
    count_in_flight();
    read_header();
    return;
  }
  // Idle once more after draining began: closed, as close_if_idle() closes the
  // connections idle when it begins. (Its call may have come while this response
  // was being written, with keep-alive decided before the drain.)
  if (srv_.draining.load()) {
    close();
    return;
  }
  phase_ = phase::awaiting;
  // A new connection has header_timeout for its whole first header; between
  // keep-alive requests the client may stay silent for idle_timeout.
  set_deadline(first_request_ ? srv_.opts.header_timeout : srv_.opts.idle_timeout);
  with_stream([this](auto& stream) {
    stream.async_read_some(buffer_.prepare(4096),
                           beast::bind_front_handler(&session::on_first_bytes, shared_from_this()));
  });
}

void session::on_first_bytes(beast::error_code ec, std::size_t n) {
  buffer_.commit(n);
  // closed_: close_if_idle() ran after these bytes arrived but before this handler;
  // the request must not be parsed and handled on a connection already closed
  // (it would be committed with nobody left to answer).
  if (ec || closed_) {
    close();  // idle timeout, or the client closed, or stop_accepting()
    return;
  }
  phase_ = phase::reading;
  // A request counts as in flight from its first byte, not from its complete
  // header: drain() must not return while a request is still arriving, or it
  // would be handled (and committed) after stop() closed its connection.
  count_in_flight();
  read_header();
}

bool session::parse_buffered(bool whole_message, beast::error_code& ec) {
  // What Beast's read operations do first (feed the parser what the buffer holds),
  // without their composed operation, which completes through a post to the
  // io_context even when no byte had to be read: 8 % of a /health/live
  // request's instructions. A request almost always arrives whole in its first read.
  for (;;) {
    if (whole_message ? parser_->is_done() : parser_->is_header_done())
      return true;
    if (buffer_.size() == 0)
      return false;
    const auto used = parser_->put(buffer_.data(), ec);
    buffer_.consume(used);
    if (ec == bhttp::error::need_more) {
      ec = {};
      return false;
    }
    if (ec)
      return true;
    if (used == 0)
      return false;  // no progress: the read operation takes it from here
  }
}

void session::read_header() {
  beast::error_code ec;
  if (parse_buffered(false, ec)) {
    on_header(ec, 0);
    return;
  }
  // The first request keeps the deadline set at connect; a later one gets
  // header_timeout from its first byte (slow-loris clients are cut off). Set
  // only here, when the header is incomplete: a whole one needs no deadline,
  // and an earlier deadline per request would re-arm the timer per request.
  if (!first_request_)
    set_deadline(srv_.opts.header_timeout);
  with_stream([this](auto& stream) {
    bhttp::async_read_header(stream, buffer_, *parser_,
                             beast::bind_front_handler(&session::on_header, shared_from_this()));
  });
}

void session::on_header(beast::error_code ec, std::size_t) {
  if (ec) {
    on_read_error(ec);
    return;
  }
  count_in_flight();
  first_request_ = false;
  auto& msg = parser_->get();
  version_ = msg.version();
  if (auto why = framing_error(msg)) {
    // Before any body byte is read: the bytes after this header cannot be told
    // apart from a next request, so nothing more is read from this connection.
    refuse(error_code::bad_request, std::move(*why));
    return;
  }
  auto expect = msg.find(bhttp::field::expect);
  if (expect != msg.end() && ascii_iequals(expect->value(), "100-continue") && version_ >= 11 &&
      !parser_->is_done()) {
    // The client waits for this before sending the body (curl does for large
    // bodies). An oversized Content-Length never gets here: 413 came first.
    continue_ = {bhttp::status::continue_, version_};
    set_deadline(srv_.opts.idle_timeout);
    with_stream([this](auto& stream) {
      bhttp::async_write(
        stream, continue_,
        beast::bind_front_handler(&session::on_continue_written, shared_from_this()));
    });
    return;
  }
  read_body();
}

void session::on_continue_written(beast::error_code ec, std::size_t) {
  if (ec) {
    close();
    return;
  }
  read_body();
}

void session::read_body() {
  beast::error_code ec;
  if (parse_buffered(true, ec)) {
    on_body(ec, 0);
    return;
  }
  set_deadline(srv_.opts.idle_timeout);
  with_stream([this](auto& stream) {
    bhttp::async_read(stream, buffer_, *parser_,
                      beast::bind_front_handler(&session::on_body, shared_from_this()));
  });
}

void session::on_body(beast::error_code ec, std::size_t) {
  if (ec) {
    on_read_error(ec);
    return;
  }
  dispatch_request();
}

void session::on_read_error(beast::error_code ec) {
  if (ec == bhttp::error::body_limit) {
    refuse(error_code::payload_too_large,
           "request body exceeds " + std::to_string(srv_.opts.max_body_bytes) + " bytes");
    return;
  }
  if (ec == bhttp::error::header_limit) {
    // Until the request line is parsed, Beast consumes nothing: the buffer
    // holds this request from its first byte.
    auto pending = buffer_.data();
    auto refusal = oversized_header_refusal(
      !parser_->get().target().empty(),
      std::string_view{static_cast<const char*>(pending.data()), pending.size()},
      srv_.opts.max_header_bytes);
    refuse(refusal.code, std::move(refusal.message));
    return;
  }
  // end_of_stream / partial_message: the client went away; nobody to answer.
  if (is_http_parse_error(ec) && ec != bhttp::error::end_of_stream &&
      ec != bhttp::error::partial_message) {
    refuse(error_code::bad_request, "malformed HTTP request");
    return;
  }
  close();  // timeouts, resets, aborted reads
}

void session::set_deadline(std::chrono::steady_clock::duration after) {
  deadline_ = std::chrono::steady_clock::now() + after;
  // Lazy: a later deadline leaves the timer as it is; it finds the new one when
  // it fires. Only an earlier one re-arms it.
  if (deadline_ < timer_expiry_)
    arm_deadline_timer();
}

void session::arm_deadline_timer() {
  timer_expiry_ = deadline_;
  deadline_timer_.expires_at(deadline_);  // a pending wait completes as aborted
  deadline_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
    if (!ec)
      self->on_deadline_timer();
  });
}

void session::on_deadline_timer() {
  timer_expiry_ = std::chrono::steady_clock::time_point::max();
  if (closed_)
    return;
  if (std::chrono::steady_clock::now() < deadline_) {
    arm_deadline_timer();  // the deadline moved on since the timer was armed
    return;
  }
  if (phase_ == phase::handling) {
    on_response_timeout();
    return;
  }
  // Idle, a slow header or body, a client not reading its response, a linger or a
  // TLS handshake or shutdown past its time: closing the socket ends the pending
  // operation, whose handler then finds the connection closed.
  close();
}

void session::close_if_idle() {
  if (phase_ == phase::awaiting)
    close();
}

void session::close() {
  if (closed_)
    return;
  auto self = shared_from_this();  // unregister() may drop the last other owner
  closed_ = true;
  phase_ = phase::closing;
  deadline_timer_.cancel();
  beast::error_code ignored;
  tcp_layer().shutdown(tcp::socket::shutdown_both, ignored);
  tcp_layer().close(ignored);
  finish_in_flight();
  release_slot();
  srv_.unregister(this);
}

void session::force_close() {
  closed_ = true;
  beast::error_code ignored;
  tcp_layer().close(ignored);
  finish_in_flight();
  release_slot();
}

void session::count_in_flight() {
  if (!counted_) {
    counted_ = true;
    srv_.in_flight.fetch_add(1);
  }
}

void session::finish_in_flight() {
  if (counted_) {
    counted_ = false;
    srv_.request_done();
  }
}

void session::release_slot() {
  if (slot_held_) {
    slot_held_ = false;
    srv_.open.fetch_sub(1);
  }
}

}  // namespace svc::http
