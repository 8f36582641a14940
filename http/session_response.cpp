// One HTTP/1.1 connection of http::server, its second half: the request handed
// to the handler, the response written, the connection lingering after a last
// response. Set-up, reading and deadlines: session.cpp.
#include "http/server_impl.ipp"

#include "http/request_id.hpp"
#include "http/response_head.hpp"

namespace svc::http {
namespace {

// An error the server answers itself (not the handler), with the request's id:
// the client's X-Request-ID when it sent a valid one, a new one otherwise.
response error_with_request_id(error_code code, std::string message,
                               const std::string* request_id_header) {
  auto id = request_id_from(request_id_header);
  auto resp = error_response(code, std::move(message), id);
  resp.set_header("X-Request-ID", id);
  return resp;
}

// The state shared by every copy of one request's responder.
struct responder_state {
  std::weak_ptr<session> target;  // weak: a dead connection just drops the answer
  std::shared_ptr<post_gate> gate;
  std::uint64_t seq;
  std::optional<std::string> request_id_header;
  std::atomic<bool> done{false};

  void deliver(response resp) {
    if (done.exchange(true))
      return;  // exactly once: later calls are ignored
    std::shared_lock lock{gate->mutex};
    if (!gate->open)
      return;
    // Declared after `lock`, so the session (possibly its last owner) is
    // released while the gate still holds off stop().
    auto s = target.lock();
    if (!s)
      return;
    // An answer given on the connection's own thread (health, metrics, routing
    // errors, an actor run by that thread) is written at once; one from another
    // thread is posted. That is net::dispatch's choice, made here without first
    // wrapping the response in a type-erased, allocated function.
    if (s->running_in_this_thread()) {
      s->deliver(seq, std::move(resp));
      return;
    }
    net::post(s->executor(), [s, seq = seq, resp = std::move(resp)]() mutable {
      s->deliver(seq, std::move(resp));
    });
  }

  response internal_error(std::string message) const {
    return error_with_request_id(error_code::internal_error, std::move(message),
                                 request_id_header ? &*request_id_header : nullptr);
  }

  // A handler that lost its responder would leave the client waiting forever
  // and the request counted in flight, so answer for it.
  ~responder_state() {
    if (done.load())
      return;
    try {
      deliver(internal_error("the request was dropped without a response"));
    } catch (...) {
    }
  }
};

}  // namespace

response session::server_error(error_code code, std::string message) const {
  std::optional<std::string> id_header;
  if (parser_) {
    // Fields parsed before the error (all of them for a 413, and the handled
    // request's until the next one is read) are usable.
    auto& msg = parser_->get();
    if (auto it = msg.find("X-Request-ID"); it != msg.end())
      id_header.emplace(it->value());
  }
  return error_with_request_id(code, std::move(message), id_header ? &*id_header : nullptr);
}

void session::send_server_error(error_code code, std::string message) {
  count_in_flight();
  // The rest of the stream cannot be trusted (or is a body we refuse): close.
  write(server_error(code, std::move(message)), false);
}

request session::parsed_request() const {
  request req;
  req.remote_ip = remote_ip_;
  if (!parser_)
    return req;
  const auto& msg = parser_->get();
  req.method = std::string{msg.method_string()};
  req.target = std::string{msg.target()};
  for (const auto& field : msg)
    req.headers.push_back({std::string{field.name_string()}, std::string{field.value()}});
  return req;
}

void session::refuse(error_code code, std::string message) {
  head_request_ = false;  // the error's body is sent even for HEAD
  if (!srv_.opts.handler_answers_refusals) {
    send_server_error(code, std::move(message));
    return;
  }
  count_in_flight();
  // What the parser got before it stopped: the whole header for a 413 or a
  // framing error, the request line at most for an oversized header.
  auto req = parsed_request();
  req.keep_alive = false;
  req.refused = request_refusal{code, std::move(message)};
  // The rest of the stream cannot be trusted (or is a body we refuse): close.
  request_keep_alive_ = false;
  hand_to_handler(std::move(req));
}

void session::dispatch_request() {
  auto& msg = parser_->get();
  auto req = parsed_request();
  req.body = std::move(msg.body());
  req.keep_alive = msg.keep_alive();
  request_keep_alive_ = req.keep_alive;
  head_request_ = msg.method() == bhttp::verb::head;
  hand_to_handler(std::move(req));
}

void session::hand_to_handler(request req) {
  ++seq_;
  phase_ = phase::handling;
  auto state = std::make_shared<responder_state>();
  state->target = weak_from_this();
  state->gate = srv_.gate;
  state->seq = seq_;
  if (auto* id = req.find_header("X-Request-ID"))
    state->request_id_header = *id;
  try {
    srv_.handler(std::move(req), [state](response resp) { state->deliver(std::move(resp)); });
  } catch (const std::exception&) {
    // No e.what() in the body: it may hold SQL or internals. The caller logs.
    state->deliver(state->internal_error("internal error"));
  } catch (...) {
    state->deliver(state->internal_error("internal error"));
  }
  // Set only now: an answer given during the handler call (health, metrics,
  // routing errors) was written inline and set the write's deadline. An answer
  // from another thread is posted to this one, so it cannot run before this point.
  // The handler's time is not the client's fault: response_timeout, not the
  // client's timeouts, bounds it.
  if (phase_ == phase::handling && !closed_)
    set_deadline(srv_.opts.response_timeout);
}

void session::deliver(std::uint64_t seq, response resp) {
  if (closed_ || phase_ != phase::handling || seq != seq_)
    return;  // a stale or duplicate answer
  write(std::move(resp), true);
}

void session::on_response_timeout() {
  write(server_error(error_code::service_unavailable, "service temporarily unavailable"), true);
}

void session::write(response resp, bool keep_alive_allowed) {
  try {
    prepare(std::move(resp), keep_alive_allowed);
  } catch (...) {
    close();  // e.g. bad_alloc: nothing sensible can be sent any more
  }
}

void session::prepare(response resp, bool keep_alive_allowed) {
  response_framing framing;
  framing.version = version_;
  framing.keep_alive = keep_alive_allowed && request_keep_alive_ && !srv_.draining.load();
  framing.head_request = head_request_;
  auto framed = frame_response(std::move(resp), framing);
  head_ = std::move(framed.head);
  body_ = std::move(framed.body);
  phase_ = phase::writing;
  // A client that does not read its response is as idle as one that does not write.
  set_deadline(srv_.opts.idle_timeout);
  std::array<net::const_buffer, 2> out{net::buffer(head_), net::buffer(body_)};
  const bool keep = framed.keep_alive;
  if (plain_ && plain_->non_blocking()) {
    // A response almost always fits the socket's send buffer: written at once, it
    // needs no asio operation (allocated, registered with the reactor under its
    // lock, its completion posted back to this thread: about 1.3k instructions of
    // a /health/live request's 17k). A partial write queues the rest below.
    beast::error_code ec;
    const auto written = plain_->write_some(out, ec);
    if (ec && ec != net::error::would_block) {
      on_write(keep, ec, 0);
      return;
    }
    if (written == head_.size() + body_.size()) {
      // The continuation, the next read, is posted: it runs after the work already
      // queued on this thread (other connections' requests), by when this client has
      // more often sent its next request. A read started at once finds nothing
      // (asio tries it before waiting): a recvfrom per request for EAGAIN. Measured
      // with wrk -c16: 1.73 recvfrom per /health/live request, 1.17 posted. It also
      // keeps the stack flat when pipelined requests are already read.
      net::post(executor_, beast::bind_front_handler(&session::on_write, shared_from_this(), keep,
                                                     beast::error_code{}, written));
      return;
    }
    auto left = written;
    for (auto& b : out) {
      const auto n = std::min(left, b.size());
      b += n;
      left -= n;
    }
  }
  with_stream([this, keep, &out](auto& stream) {
    net::async_write(stream, out,
                     beast::bind_front_handler(&session::on_write, shared_from_this(), keep));
  });
}

void session::on_write(bool keep_alive, beast::error_code ec, std::size_t) {
  finish_in_flight();
  if (ec) {
    close();
    return;
  }
  if (!keep_alive) {
    linger();
    return;
  }
  read_request();
}

void session::linger() {
  // Closing with unread input makes the kernel send RST, which can destroy the
  // response before the client reads it (a 413 while the body still streams
  // in). So: half-close, read and discard briefly, then close.
  phase_ = phase::closing;
  set_deadline(std::chrono::seconds{2});
  if (tls_) {
    // TLS's own end first (close_notify), so that the client can tell the end of
    // the stream from a cut; it waits for the client's close_notify, or the timeout.
    tls_->async_shutdown([self = shared_from_this()](beast::error_code) { self->close(); });
    return;
  }
  beast::error_code ec;
  tcp_layer().shutdown(tcp::socket::shutdown_send, ec);
  if (ec) {
    close();
    return;
  }
  tcp_layer().async_read_some(net::buffer(discard_),
                              beast::bind_front_handler(&session::on_linger, shared_from_this()));
}

void session::on_linger(beast::error_code ec, std::size_t) {
  if (ec) {
    close();  // EOF from the client (the usual case), timeout, or reset
    return;
  }
  tcp_layer().async_read_some(net::buffer(discard_),
                              beast::bind_front_handler(&session::on_linger, shared_from_this()));
}

}  // namespace svc::http
