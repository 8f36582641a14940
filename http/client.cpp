// http::client: one exchange object per call, driven on a strand; keep-alive
// connections parked in a per host:port pool between calls.
//
// Threading: every exchange runs on one strand, and so does every I/O object it
// touches (timer, resolver, stream). A pooled connection keeps the strand it was
// made on, and the next exchange that picks it up adopts that strand, so a
// stream is never touched from two strands. Completion is decided by an atomic
// flag, so the deadline, the I/O and stop() may race for it safely: exactly one
// of them runs the callback.
#include "http/client.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace svc::http {
namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using strand = net::strand<net::io_context::executor_type>;
using outcome = client_result::outcome;

struct base_url_parts {
  std::string host;         // without IPv6 brackets, for the resolver
  std::string port = "80";
  std::string host_header;  // "host[:port]"
  std::string prefix;       // path of the base URL, without trailing '/'
};

bool is_token_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || std::string_view{"!#$%&'*+-.^_`|~"}.find(c) != std::string_view::npos;
}
bool is_token(std::string_view s) { return !s.empty() && std::all_of(s.begin(), s.end(), is_token_char); }
// Printable ASCII only: a CR, LF or space would let a caller's value start a new
// header line or break the request line.
bool is_printable(std::string_view s, bool allow_space) {
  return std::all_of(s.begin(), s.end(), [&](char c) { return (c > ' ' && c < 0x7f) || (allow_space && (c == ' ' || c == '\t')); });
}

std::optional<base_url_parts> parse_base_url(std::string_view url, std::string& why) {
  auto sep = url.find("://");
  std::string scheme{url.substr(0, sep == std::string_view::npos ? 0 : sep)};
  std::transform(scheme.begin(), scheme.end(), scheme.begin(), [](unsigned char c) { return std::tolower(c); });
  if (sep == std::string_view::npos || scheme != "http") {
    why = scheme == "https" ? "https is not supported" : "base URL must start with http://";
    return std::nullopt;
  }
  auto rest = url.substr(sep + 3);
  auto slash = rest.find('/');
  auto authority = rest.substr(0, slash);
  base_url_parts parts;
  if (slash != std::string_view::npos)
    parts.prefix = std::string{rest.substr(slash)};
  while (!parts.prefix.empty() && parts.prefix.back() == '/')
    parts.prefix.pop_back();
  std::string_view port;
  bool has_port = false;
  if (!authority.empty() && authority.front() == '[') {  // IPv6 literal
    auto close = authority.find(']');
    if (close == std::string_view::npos || (close + 1 < authority.size() && authority[close + 1] != ':')) {
      why = "malformed IPv6 host";
      return std::nullopt;
    }
    parts.host = std::string{authority.substr(1, close - 1)};
    if ((has_port = close + 1 < authority.size()))
      port = authority.substr(close + 2);
  } else {
    auto colon = authority.find(':');
    parts.host = std::string{authority.substr(0, colon)};
    if ((has_port = colon != std::string_view::npos))
      port = authority.substr(colon + 1);
  }
  auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
  bool port_ok = !has_port || (!port.empty() && port.size() <= 5 && std::all_of(port.begin(), port.end(), is_digit) &&
                               std::stoul(std::string{port}) >= 1 && std::stoul(std::string{port}) <= 65535);
  if (parts.host.empty() || !is_printable(parts.host, false) || parts.host.find_first_of("@/?#[]") != std::string::npos ||
      (authority.front() != '[' && parts.host.find(':') != std::string::npos) || !port_ok ||
      !is_printable(parts.prefix, false) || parts.prefix.find_first_of("?#") != std::string::npos) {
    why = "malformed base URL";
    return std::nullopt;
  }
  if (has_port)
    parts.port = std::string{port};
  parts.host_header = authority.front() == '[' ? "[" + parts.host + "]" : parts.host;
  if (parts.port != "80")
    parts.host_header += ":" + parts.port;
  return parts;
}

// Host names are case-insensitive; one pool per host:port.
std::string pool_key(const base_url_parts& u) {
  std::string key = u.host + ":" + u.port;
  std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return std::tolower(c); });
  return key;
}

// RFC 9110 9.2.2: only these may be resent without the caller's consent.
bool is_idempotent(std::string_view method) {
  for (std::string_view m : {"GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE"})
    if (method == m)
      return true;
  return false;
}

// What a pooled connection shows when the server closed it while it sat idle.
bool closed_by_peer(const beast::error_code& ec) {
  return ec == bhttp::error::end_of_stream || ec == net::error::eof || ec == net::error::connection_reset ||
         ec == net::error::broken_pipe || ec == net::error::connection_aborted;
}

struct connection {
  explicit connection(strand s) : ex{s}, stream{s} {}
  strand ex;  // the strand the stream was made on; exchanges using it adopt it
  beast::tcp_stream stream;
  beast::flat_buffer buffer;
};

thread_local const client::impl* running_client = nullptr;  // set on the client's I/O threads

}  // namespace

std::string_view to_string(outcome o) {
  switch (o) {
    case outcome::response: return "response";
    case outcome::connect_failed: return "connect_failed";
    case outcome::timeout: return "timeout";
    case outcome::io_error: return "io_error";
    case outcome::invalid_url: return "invalid_url";
  }
  return "unknown";
}

struct client::impl : std::enable_shared_from_this<impl> {
  struct exchange;

  explicit impl(client_options o) : opts{o} {}

  void release(const std::string& key, std::unique_ptr<connection> conn);
  void forget(const exchange* x) {
    std::lock_guard lock{mutex};
    in_flight.erase(x);
  }

  const client_options opts;
  net::io_context ioc;  // first member: destroyed last, after every I/O object
  net::executor_work_guard<net::io_context::executor_type> work{ioc.get_executor()};
  std::vector<std::thread> threads;

  mutable std::mutex mutex;  // guards everything below
  bool stopped = false;
  std::unordered_map<std::string, std::vector<std::unique_ptr<connection>>> idle;
  std::size_t idle_count = 0;
  std::unordered_map<const exchange*, std::shared_ptr<exchange>> in_flight;
};

struct client::impl::exchange : std::enable_shared_from_this<exchange> {
  exchange(impl& o, strand s, base_url_parts u, bhttp::request<bhttp::string_body> r, client_callback cb)
    : owner{o}, ex{s}, url{std::move(u)}, req{std::move(r)}, callback{std::move(cb)} {
    key = pool_key(url);
    // Armed here, not in start(): time spent queued counts against the caller.
    deadline.expires_after(owner.opts.total_timeout);
  }

  impl& owner;
  strand ex;
  base_url_parts url;
  std::string key;  // pool key: lower-case host:port
  bhttp::request<bhttp::string_body> req;
  client_callback callback;
  std::atomic<bool> finished{false};
  net::steady_timer deadline{ex};
  tcp::resolver resolver{ex};
  std::unique_ptr<connection> conn;
  bool reused = false;   // conn came from the idle pool
  bool retried = false;  // the one retry on a fresh connection is spent
  std::optional<bhttp::response_parser<bhttp::string_body>> parser;

  // Exactly once, from whichever thread wins; the rest is ignored.
  bool finish(client_result r) {
    if (finished.exchange(true, std::memory_order_acq_rel))
      return false;
    auto keep_alive = shared_from_this();
    owner.forget(this);
    auto cb = std::move(callback);
    callback = nullptr;
    // A throwing callback would escape io_context::run() and end the I/O
    // thread (std::terminate); the caller was told not to throw, so drop it.
    try {
      cb(std::move(r));
    } catch (...) {
    }
    return true;
  }

  // On the strand: ends the call and everything it had under way. Handlers of
  // cancelled operations then see `finished` and do nothing.
  void fail(outcome o, std::string error) {
    finish(client_result{o, 0, {}, {}, std::move(error)});
    beast::error_code ignored;
    deadline.cancel();
    resolver.cancel();
    if (conn)
      conn->stream.socket().close(ignored);  // the stream stays: an aborted handler may still refer to it
  }

  void start() {
    if (finished)
      return;
    deadline.async_wait([self = shared_from_this()](beast::error_code ec) { self->on_deadline(ec); });
    if (conn) {
      reused = true;
      write();
    } else {
      resolve();
    }
  }

  void on_deadline(beast::error_code ec) {
    if (ec == net::error::operation_aborted || finished)
      return;
    fail(outcome::timeout, "no complete response within " + std::to_string(owner.opts.total_timeout.count()) + " ms");
  }

  void resolve() {
    resolver.async_resolve(url.host, url.port, [self = shared_from_this()](beast::error_code ec, tcp::resolver::results_type r) {
      self->on_resolve(ec, std::move(r));
    });
  }

  // Any failure before a connection exists means the service could not be
  // reached (an unknown name included): connect_failed, unless it timed out.
  void on_resolve(beast::error_code ec, const tcp::resolver::results_type& endpoints) {
    if (finished)
      return;
    if (ec)
      return fail(outcome::connect_failed, "resolve " + url.host + ": " + ec.message());
    conn = std::make_unique<connection>(ex);
    reused = false;
    conn->stream.expires_after(owner.opts.connect_timeout);
    conn->stream.async_connect(endpoints, [self = shared_from_this()](beast::error_code ec, const tcp::endpoint&) {
      self->on_connect(ec);
    });
  }

  void on_connect(beast::error_code ec) {
    if (finished)
      return;
    if (ec == beast::error::timeout)
      return fail(outcome::timeout, "connect to " + key + " timed out after " + std::to_string(owner.opts.connect_timeout.count()) + " ms");
    if (ec)
      return fail(outcome::connect_failed, "connect to " + key + ": " + ec.message());
    conn->stream.expires_never();  // from here on the deadline timer alone bounds the call
    conn->stream.socket().set_option(tcp::no_delay{true}, ec);
    write();
  }

  void write() {
    parser.emplace();
    parser->body_limit(owner.opts.max_response_bytes);
    parser->skip(req.method() == bhttp::verb::head);  // a HEAD answer has no body, whatever it says
    bhttp::async_write(conn->stream, req, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (self->finished)
        return;
      if (ec)
        return self->on_io_error(ec, "write");
      bhttp::async_read(self->conn->stream, self->conn->buffer, *self->parser,
                        [self](beast::error_code ec, std::size_t) { self->on_read(ec); });
    });
  }

  // Retry rule: a connection taken from the idle pool may have been closed by
  // the server while it sat there (idle timeout, user-service restarted). If it
  // fails before a single byte of the response arrived, the server cannot have
  // answered, so the request is sent ONCE more on a fresh connection, within
  // the same deadline. Only for idempotent methods (GET is what we send): for
  // a POST, "nothing received" does not prove "nothing done". A fresh
  // connection's failure is never retried: that is the service's real state.
  void on_io_error(beast::error_code ec, const char* what) {
    bool nothing_received = !parser->got_some() && conn->buffer.size() == 0;
    if (reused && !retried && nothing_received && closed_by_peer(ec) && is_idempotent(req.method_string())) {
      retried = true;
      conn.reset();  // no operation of it is pending any more
      return resolve();
    }
    if (ec == bhttp::error::body_limit)
      return fail(outcome::io_error, "response body over " + std::to_string(owner.opts.max_response_bytes) + " bytes");
    fail(outcome::io_error, std::string{what} + " " + key + (reused ? " (reused connection)" : "") + ": " + ec.message());
  }

  void on_read(beast::error_code ec) {
    if (finished)
      return;
    if (ec)
      return on_io_error(ec, "read");
    auto res = parser->release();
    client_result r{outcome::response, res.result_int(), {}, std::move(res.body()), {}};
    for (const auto& f : res)
      r.headers.push_back({std::string{f.name_string()}, std::string{f.value()}});
    deadline.cancel();
    // Back to the pool before the callback runs, so a call it makes can reuse
    // it. Leftover bytes would be a stray answer to nothing: not reusable.
    if (res.keep_alive() && req.keep_alive() && conn->buffer.size() == 0)
      owner.release(key, std::move(conn));
    else
      conn.reset();
    finish(std::move(r));
  }

  void abort() { fail(outcome::io_error, "client stopped"); }
};

void client::impl::release(const std::string& key, std::unique_ptr<connection> c) {
  std::lock_guard lock{mutex};
  auto& parked = idle[key];
  if (stopped || parked.size() >= opts.max_idle_per_host)
    return;  // c closes as it goes out of scope; it has nothing pending
  parked.push_back(std::move(c));
  ++idle_count;
}

client::client(client_options opts) : impl_{std::make_shared<impl>(opts)} {
  auto n = std::max(1u, impl_->opts.threads);
  for (unsigned i = 0; i < n; ++i)
    // Each thread co-owns the impl: if the client is destroyed from one of
    // them (see stop()), the impl outlives the threads that still run.
    impl_->threads.emplace_back([self = impl_] {
      running_client = self.get();
      self->ioc.run();
    });
}

client::~client() { stop(); }

void client::request(std::string method, const std::string& base_url, std::string target,
                     std::vector<header> headers, std::string body, client_callback done) {
  auto& m = *impl_;
  std::string why;
  auto url = parse_base_url(base_url, why);
  outcome bad = outcome::invalid_url;
  if (url && (target.empty() || target.front() != '/' || !is_printable(target, false)))
    why = "target must be an absolute path without spaces or control characters";
  bhttp::request<bhttp::string_body> req;
  if (url && why.empty()) {
    bad = outcome::io_error;  // from here on: a bad request, not a bad URL
    if (!is_token(method))
      why = "invalid method";
    req.method_string(method);
    req.target(url->prefix + target);
    req.version(11);
    for (auto& h : headers) {
      if (!is_token(h.name) || !is_printable(h.value, true))
        why = "invalid header " + h.name;
      else
        req.insert(h.name, h.value);
    }
    if (req.find(bhttp::field::host) == req.end())
      req.set(bhttp::field::host, url->host_header);
    if (req.find(bhttp::field::connection) == req.end())
      req.set(bhttp::field::connection, "keep-alive");
    bool expects_body = method == "POST" || method == "PUT" || method == "PATCH";
    if (!body.empty() || expects_body)
      req.content_length(body.size());
    req.body() = std::move(body);
  }

  std::unique_lock lock{m.mutex};
  if (m.stopped) {
    lock.unlock();
    done(client_result{outcome::io_error, 0, {}, {}, "client stopped"});
    return;
  }
  std::unique_ptr<connection> conn;
  if (why.empty()) {
    // Most recently parked first: the least likely to have been closed by the
    // server's idle timeout.
    if (auto found = m.idle.find(pool_key(*url)); found != m.idle.end() && !found->second.empty()) {
      conn = std::move(found->second.back());
      found->second.pop_back();
      --m.idle_count;
    }
  }
  auto ex = conn ? conn->ex : net::make_strand(m.ioc);
  auto x = std::make_shared<impl::exchange>(m, ex, url ? std::move(*url) : base_url_parts{}, std::move(req), std::move(done));
  x->conn = std::move(conn);
  m.in_flight.emplace(x.get(), x);
  // Posted under the lock so that stop(), which posts abort() to the same
  // strand, always comes after start().
  if (why.empty())
    net::post(ex, [x] { x->start(); });
  else
    net::post(ex, [x, bad, why] { x->fail(bad, why); });
}

// Two ways to stop, depending on the calling thread:
// - any other thread: abort every call on its strand (the callbacks run on the
//   I/O threads as promised), let the work drain, join the threads;
// - one of the client's own I/O threads (a callback destroyed the client, e.g.
//   the breaker actor's last reference died in one): joining would wait for
//   the very handler we are in, so complete the pending calls right here, on
//   this I/O thread, and detach the threads. They still own the impl and end
//   once the aborted operations have drained.
void client::stop() {
  auto& m = *impl_;
  std::vector<std::shared_ptr<impl::exchange>> pending;
  std::unordered_map<std::string, std::vector<std::unique_ptr<connection>>> parked;
  std::vector<std::thread> threads;
  {
    std::lock_guard lock{m.mutex};
    m.stopped = true;
    for (auto& [_, x] : m.in_flight)
      pending.push_back(x);
    parked.swap(m.idle);
    m.idle_count = 0;
    threads.swap(m.threads);  // only the first stop() joins
    if (!threads.empty())
      m.work.reset();  // run() returns once the aborted work has drained
  }
  parked.clear();  // idle connections have nothing pending: close them here
  bool inside = running_client == impl_.get();
  for (auto& x : pending) {
    if (inside)
      x->finish(client_result{outcome::io_error, 0, {}, {}, "client stopped"});
    net::post(x->ex, [x] { x->abort(); });
  }
  for (auto& t : threads) {
    if (inside)
      t.detach();
    else
      t.join();
  }
}

std::size_t client::idle_connections() const {
  std::lock_guard lock{impl_->mutex};
  return impl_->idle_count;
}

}  // namespace svc::http
