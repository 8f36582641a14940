// http::client: one exchange object per call, driven on a strand; keep-alive
// connections parked in a pool per host:port between calls.
//
// Threading: an exchange and every I/O object it touches (timer, resolver,
// stream) live on one strand. A pooled connection keeps the strand it was made
// on and the next exchange that takes it adopts that strand, so a stream is
// never touched from two strands. Completion is an atomic flag, so the
// deadline, the I/O and stop() may race for it: exactly one runs the callback.
#include "http/client.hpp"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <openssl/ssl.h>

#include "domain/ascii_text.hpp"
#include "http/client_request.hpp"
#include "http/header_bytes.hpp"
#include "http/orphaned_threads.hpp"
#include "http/tls.hpp"

namespace svc::http {
namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = net::ip::tcp;
using strand = net::strand<net::io_context::executor_type>;
using outcome = client_result::outcome;

// Connections are pooled by scheme, host and port.
std::string pool_key(const base_url& url) {
  auto key = (url.tls ? "https://" : "http://") + url.host + ":" + url.port;
  std::transform(key.begin(), key.end(), key.begin(), ascii_lower);
  return key;
}

// What a pooled connection shows when the server closed it while it sat idle.
bool closed_by_peer(const beast::error_code& ec) {
  return ec == bhttp::error::end_of_stream || ec == net::error::eof ||
         ec == ssl::error::stream_truncated || ec == net::error::connection_reset ||
         ec == net::error::broken_pipe || ec == net::error::connection_aborted;
}

// A connection to one host: plain TCP, or TLS over it (https).
struct connection {
  connection(strand s, ssl::context* tls) : ex{s} {
    if (tls)
      tls_stream.emplace(s, *tls);
    else
      plain.emplace(s);
  }
  beast::tcp_stream& tcp_layer() {
    return tls_stream ? beast::get_lowest_layer(*tls_stream) : *plain;
  }
  // Calls f with the stream requests and responses go through.
  template <class F>
  void with_stream(F&& f) {
    if (tls_stream)
      f(*tls_stream);
    else
      f(*plain);
  }

  strand ex;  // the strand the stream was made on; exchanges using it adopt it
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls_stream;
  beast::flat_buffer buffer;
};

thread_local const client::impl* running_client = nullptr;  // set on the client's I/O threads

client_result failure(outcome o, std::string error) {
  return {o, 0, {}, {}, std::move(error)};
}

}  // namespace

struct client::impl {
  struct exchange;

  explicit impl(client_options o) : opts{std::move(o)} {
    if (opts.expect_https || !opts.ca_file.empty())
      tls = tls_client_context(opts.ca_file);
  }

  // For https base URLs; throws when the CA bundle cannot be used.
  ssl::context& tls_context() {
    std::lock_guard lock{tls_mutex};
    if (!tls)
      tls = tls_client_context(opts.ca_file);
    return *tls;
  }

  const client_options opts;
  std::mutex tls_mutex;
  std::shared_ptr<ssl::context> tls;  // guarded by tls_mutex
  net::io_context ioc;  // declared before every I/O object's owner: destroyed after them
  net::executor_work_guard<net::io_context::executor_type> work{ioc.get_executor()};
  std::vector<std::thread> threads;

  mutable std::mutex mutex;  // guards everything below
  bool stopped = false;
  std::unordered_map<std::string, std::vector<std::unique_ptr<connection>>>
    idle;  // by lower-case host:port
  std::size_t idle_count = 0;
  std::unordered_map<const exchange*, std::shared_ptr<exchange>> in_flight;
  bool orphaned = false;  // stopped from one of its threads: they go to orphaned_threads
};

struct client::impl::exchange : std::enable_shared_from_this<exchange> {
  exchange(impl& o, strand s, base_url u, wire_request r, client_callback cb)
      : owner{o},
        ex{std::move(s)},
        url{std::move(u)},
        key{pool_key(url)},
        req{std::move(r)},
        callback{std::move(cb)} {
    // Armed here, not in start(): time spent queued counts against the call too.
    deadline.expires_after(owner.opts.total_timeout);
  }

  impl& owner;
  strand ex;
  base_url url;
  std::string key;  // pool key
  wire_request req;
  std::string head;  // req's header bytes (header_bytes), alive until written
  client_callback callback;
  std::atomic<bool> finished{false};
  net::steady_timer deadline{ex};
  tcp::resolver resolver{ex};
  std::unique_ptr<connection> conn;
  bool reused = false;   // conn came from the idle pool
  bool retried = false;  // the one retry on a fresh connection is spent
  std::optional<bhttp::response_parser<bhttp::string_body>> parser;

  // Exactly once, from whichever thread wins; later calls do nothing.
  void finish(client_result r) {
    if (finished.exchange(true, std::memory_order_acq_rel))
      return;
    auto self = shared_from_this();  // in_flight may have held the last reference
    std::unique_lock lock{owner.mutex};
    owner.in_flight.erase(this);
    lock.unlock();
    auto cb = std::move(callback);
    // A throwing callback would escape io_context::run() and end the I/O
    // thread (std::terminate); callers are told not to throw, so drop it.
    try {
      cb(std::move(r));
    } catch (...) {
    }
  }

  // On the strand: ends the call and whatever it had under way. The handlers
  // of the cancelled operations then see `finished` and do nothing.
  void fail(outcome o, std::string error) {
    finish(failure(o, std::move(error)));
    beast::error_code ignored;
    deadline.cancel();
    resolver.cancel();
    if (conn)
      conn->tcp_layer().socket().close(ignored);  // kept: an aborted handler may still use it
  }

  void start() {
    if (finished)
      return;
    deadline.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec != net::error::operation_aborted && !self->finished)
        self->fail(outcome::timeout, "no complete response from " + self->key + " within " +
                                       std::to_string(self->owner.opts.total_timeout.count()) +
                                       " ms");
    });
    reused = conn != nullptr;
    reused ? write() : resolve();
  }

  void resolve() {
    resolver.async_resolve(
      url.host, url.port,
      [self = shared_from_this()](beast::error_code ec, auto r) { self->on_resolve(ec, r); });
  }

  // Any failure before a connection exists means the service could not be
  // reached (an unknown name included): connect_failed, unless it timed out.
  void on_resolve(beast::error_code ec, const tcp::resolver::results_type& endpoints) {
    if (finished)
      return;
    if (ec)
      return fail(outcome::connect_failed, "resolve " + url.host + ": " + ec.message());
    ssl::context* tls = nullptr;
    if (url.tls) {
      try {
        tls = &owner.tls_context();
      } catch (const std::exception& e) {
        return fail(outcome::connect_failed, std::string{"TLS set-up: "} + e.what());
      }
    }
    conn = std::make_unique<connection>(ex, tls);
    reused = false;
    conn->tcp_layer().expires_after(
      owner.opts.connect_timeout);  // beast::error::timeout when it fires
    conn->tcp_layer().async_connect(
      endpoints,
      [self = shared_from_this()](beast::error_code ec, auto&&) { self->on_connect(ec); });
  }

  void on_connect(beast::error_code ec) {
    if (finished)
      return;
    if (ec == beast::error::timeout)
      return fail(outcome::timeout, "connect to " + key + " timed out after " +
                                      std::to_string(owner.opts.connect_timeout.count()) + " ms");
    if (ec)
      return fail(outcome::connect_failed, "connect to " + key + ": " + ec.message());
    conn->tcp_layer().socket().set_option(tcp::no_delay{true}, ec);
    if (conn->tls_stream)
      return handshake();
    conn->tcp_layer().expires_never();  // from here on the deadline timer alone bounds the call
    write();
  }

  // https: the server's certificate must chain to the CA bundle and name the host
  // of the base URL; the handshake counts against the connect timeout.
  void handshake() {
    auto& tls = *conn->tls_stream;
    boost::system::error_code ip_ec;
    net::ip::make_address(url.host, ip_ec);
    if (ip_ec)  // a name, not an address: tell it (SNI)
      SSL_set_tlsext_host_name(tls.native_handle(), url.host.c_str());
    tls.set_verify_callback(ssl::host_name_verification(url.host));
    tls.async_handshake(
      ssl::stream_base::client, [self = shared_from_this()](beast::error_code ec) {
        if (self->finished)
          return;
        if (ec == beast::error::timeout)
          return self->fail(outcome::timeout, "TLS handshake with " + self->key + " timed out");
        if (ec)
          return self->fail(outcome::connect_failed,
                            "TLS handshake with " + self->key + ": " + ec.message());
        self->conn->tcp_layer().expires_never();
        self->write();
      });
  }

  void write() {
    parser.emplace();
    parser->body_limit(owner.opts.max_response_bytes);
    parser->skip(req.method() == bhttp::verb::head);  // a HEAD answer has no body, whatever it says
    header_bytes(req, head);
    conn->with_stream([this](auto& stream) {
      net::async_write(stream, header_and_body(head, req.body()),
                       [self = shared_from_this(), &stream](beast::error_code ec, std::size_t) {
                         if (self->finished)
                           return;
                         if (ec)
                           return self->on_io_error(ec, "write");
                         bhttp::async_read(
                           stream, self->conn->buffer, *self->parser,
                           [self](beast::error_code ec, std::size_t) { self->on_read(ec); });
                       });
    });
  }

  // The retry rule. A connection taken from the idle pool may have been closed
  // by the server while it sat there (keep-alive timeout, user-service
  // restarted). If it fails before a single byte of the response arrived, the
  // server never answered, so the request is sent ONCE more, on a fresh
  // connection, within the same deadline. Only for idempotent methods (we send
  // GET): for a POST, "nothing came back" does not prove "nothing was done".
  // A fresh connection's failure is never retried: that is the server's state.
  void on_io_error(beast::error_code ec, const char* what) {
    bool nothing_received = !parser->got_some() && conn->buffer.size() == 0;
    if (reused && !retried && nothing_received && closed_by_peer(ec) &&
        is_idempotent(req.method_string())) {
      retried = true;
      conn.reset();  // none of its operations is pending any more
      return resolve();
    }
    if (ec == bhttp::error::body_limit)
      return fail(outcome::io_error,
                  "response body over " + std::to_string(owner.opts.max_response_bytes) + " bytes");
    fail(outcome::io_error,
         std::string{what} + " " + key + (reused ? " (reused connection): " : ": ") + ec.message());
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
    // Back to the pool before the callback runs, so that a call it makes can
    // reuse it. Leftover bytes would be an answer to nothing: not reusable.
    if (res.keep_alive() && req.keep_alive() && conn->buffer.size() == 0) {
      std::lock_guard lock{owner.mutex};
      if (auto& parked = owner.idle[key];
          !owner.stopped && parked.size() < owner.opts.max_idle_per_host) {
        parked.push_back(std::move(conn));
        ++owner.idle_count;
      }
    }
    conn.reset();  // when not parked: closes; nothing of it is pending
    finish(std::move(r));
  }
};

client::client(const client_options& opts) : impl_{std::make_shared<impl>(opts)} {
  orphaned_threads::get();  // made after the impl's SSL context: see orphaned_threads
  for (unsigned i = 0; i < std::max(1u, opts.threads); ++i)
    // Each thread co-owns the impl: when the client is destroyed from one of
    // them (see stop()), the impl outlives the threads that still drain.
    impl_->threads.emplace_back([self = impl_]() mutable {
      running_client = self.get();
      self->ioc.run();
      running_client = nullptr;
      bool orphaned = false;
      {
        std::lock_guard lock{self->mutex};
        orphaned = self->orphaned;
      }
      self.reset();  // when orphaned, possibly the last reference: the impl ends here
      if (orphaned)
        orphaned_threads::get().finished();
    });
}

// stop() throws only when a lock or a join fails: from the destructor that ends in
// std::terminate, on purpose.
client::~client() {  // NOLINT(bugprone-exception-escape): see above
  stop();
}

void client::request(const std::string& method, const base_url& base, const std::string& target,
                     const std::vector<header>& headers, std::string body, client_callback done) {
  auto& m = *impl_;
  if (!done)
    done = [](const client_result&) {};  // so that no path has to test for it
  std::string why;
  outcome bad = outcome::invalid_url;
  auto req = build_request(method, base, target, headers, std::move(body), bad, why);

  std::unique_lock lock{m.mutex};
  if (m.stopped) {
    lock.unlock();
    done(failure(outcome::io_error, "client stopped"));
    return;
  }
  std::unique_ptr<connection> conn;
  // Most recently parked first: the least likely to have hit the server's
  // keep-alive timeout.
  if (auto it = m.idle.find(pool_key(base));
      why.empty() && it != m.idle.end() && !it->second.empty()) {
    conn = std::move(it->second.back());
    it->second.pop_back();
    --m.idle_count;
  }
  auto ex = conn ? conn->ex : net::make_strand(m.ioc);
  auto x = std::make_shared<impl::exchange>(m, ex, base, std::move(req), std::move(done));
  x->conn = std::move(conn);
  m.in_flight.emplace(x.get(), x);
  // Posted under the lock, so stop()'s abort, posted to the same strand, comes after it.
  if (why.empty())
    net::post(ex, [x] { x->start(); });
  else
    net::post(ex, [x, bad, why] { x->fail(bad, why); });
}

// Two ways to stop, by calling thread:
// - any other thread: every pending call is aborted on its strand (so its
//   callback runs on an I/O thread, as promised), the work drains, the
//   threads are joined;
// - one of the client's own I/O threads (a callback destroyed the client, as
//   when the breaker actor's last reference dies in one): joining would wait
//   for the very handler we are in. So the pending calls complete right here,
//   on this I/O thread, and the threads go to orphaned_threads (joined there,
//   at the latest at exit); they co-own the impl and end once the aborted
//   operations have drained.
void client::stop() {
  auto& m = *impl_;
  const bool inside = running_client == impl_.get();
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
    m.orphaned = m.orphaned || (inside && !threads.empty());
  }
  parked.clear();  // idle connections have nothing pending: close them here
  for (auto& x : pending) {
    if (inside)
      x->finish(failure(outcome::io_error, "client stopped"));
    net::post(x->ex, [x] { x->fail(outcome::io_error, "client stopped"); });
  }
  const bool had_threads = !threads.empty();
  if (inside && had_threads)
    orphaned_threads::get().adopt(std::exchange(threads, {}));  // before work.reset(): none ended
  if (had_threads)
    m.work.reset();  // after the posts: run() returns once the aborted work has drained
  for (auto& t : threads)
    t.join();  // none left when adopted
}

std::size_t client::idle_connections() const {
  std::lock_guard lock{impl_->mutex};
  return impl_->idle_count;
}

}  // namespace svc::http
