// The listener and lifecycle of http::server. One connection is one `session`
// (http/session.cpp, session_response.cpp); this file owns the acceptor, the
// registry of live sessions and, unless they are shared, the I/O threads.
#include "http/server_impl.ipp"

#include <future>
#include <stdexcept>

#include "http/tls.hpp"

namespace svc::http {

server::impl::impl(server_options o, request_handler h, const std::shared_ptr<io_threads>& shared)
    : opts(std::move(o)),
      handler(std::move(h)),
      io(shared ? shared : std::make_shared<io_threads>(opts.threads, "http")),
      owns_io(!shared),
      acceptor(io->context(0).get_executor()),
      accept_retry(acceptor.get_executor()) {
}

// stop() throws only when misused (io_threads::stop from an I/O thread) or when a lock
// fails: from the destructor that ends in std::terminate, on purpose.
server::impl::~impl() {  // NOLINT(bugprone-exception-escape): see above
  stop();
}

void server::impl::request_done() {
  if (in_flight.fetch_sub(1) == 1) {
    // Taking the mutex orders this notify after a waiter's predicate check.
    std::lock_guard lock{drain_mutex};
    drained.notify_all();
  }
}

void server::impl::unregister(session* s) {
  std::shared_ptr<session> last;  // released outside the lock
  std::lock_guard lock{sessions_mutex};
  if (auto it = sessions.find(s); it != sessions.end()) {
    last = std::move(it->second);
    sessions.erase(it);
  }
}

std::vector<std::shared_ptr<session>> server::impl::snapshot() {
  std::lock_guard lock{sessions_mutex};
  std::vector<std::shared_ptr<session>> out;
  out.reserve(sessions.size());
  for (auto& [ptr, s] : sessions)
    out.push_back(s);
  return out;
}

net::io_context& server::impl::next_context() {
  auto& ctx = io->context(next_context_index);
  next_context_index = (next_context_index + 1) % io->size();
  return ctx;
}

void server::impl::do_accept() {
  // Round robin: connections are spread evenly over the I/O threads.
  acceptor.async_accept(next_context(), [this](beast::error_code ec, tcp::socket socket) {
    on_accept(ec, std::move(socket));
  });
}

void server::impl::on_accept(beast::error_code ec, tcp::socket socket) {
  if (ec == net::error::operation_aborted || !acceptor.is_open())
    return;  // stop_accepting()
  if (ec) {
    // Typically EMFILE: retrying at once would spin, so pause a little.
    accept_retry.expires_after(std::chrono::milliseconds{100});
    accept_retry.async_wait([this](beast::error_code wait_ec) {
      if (!wait_ec && acceptor.is_open())
        do_accept();
    });
    return;
  }
  if (open.load() >= opts.max_connections) {
    beast::error_code ignored;
    socket.close(ignored);  // over the limit: no session, no buffers
  } else {
    auto ip = peer_address(socket);
    // Responses go out in one write; Nagle would only hold a small one back
    // behind an unacknowledged segment.
    beast::error_code nodelay_ec;
    socket.set_option(tcp::no_delay{true}, nodelay_ec);
    open.fetch_add(1);
    auto s = std::make_shared<session>(*this, std::move(socket), std::move(ip),
                                       opts.tls ? opts.tls->current() : nullptr);
    {
      std::lock_guard lock{sessions_mutex};
      sessions.emplace(s.get(), s);
    }
    s->start();
  }
  do_accept();
}

std::string server::impl::peer_address(const tcp::socket& socket) {
  beast::error_code ec;
  auto endpoint = socket.remote_endpoint(ec);
  if (ec)
    return {};
  auto address = endpoint.address();
  // On a dual-stack listener IPv4 clients appear as ::ffff:a.b.c.d; report the
  // plain IPv4 form so rate limits and logs see one spelling per client.
  if (address.is_v6() && address.to_v6().is_v4_mapped())
    return net::ip::make_address_v4(net::ip::v4_mapped, address.to_v6()).to_string();
  return address.to_string();
}

void server::impl::start() {
  std::lock_guard lock{lifecycle_mutex};
  if (started || stopped)
    throw std::logic_error("http::server::start called twice");
  auto where = opts.host + ":" + std::to_string(opts.port);
  beast::error_code ec;
  tcp::endpoint endpoint;
  auto address = net::ip::make_address(opts.host, ec);
  if (!ec) {
    endpoint = {address, opts.port};
  } else {
    tcp::resolver resolver{io->context(0)};
    auto results = resolver.resolve(opts.host, std::to_string(opts.port), tcp::resolver::passive,
                                    ec);
    if (ec || results.empty())
      throw std::runtime_error("cannot resolve listen address " + where + ": " +
                               (ec ? ec.message() : std::string{"no address"}));
    endpoint = results.begin()->endpoint();
  }
  auto fail = [&](const char* step) {
    beast::error_code ignored;
    acceptor.close(ignored);
    throw std::runtime_error("cannot listen on " + where + " (" + step + "): " + ec.message());
  };
  if (acceptor.open(endpoint.protocol(), ec))
    fail("open");
  // Lets a restarted service bind while old connections sit in TIME_WAIT.
  if (acceptor.set_option(net::socket_base::reuse_address(true), ec))
    fail("set SO_REUSEADDR");
  if (acceptor.bind(endpoint, ec))
    fail("bind");
  if (acceptor.listen(net::socket_base::max_listen_connections, ec))
    fail("listen");
  bound_port = acceptor.local_endpoint(ec).port();
  started = true;
  net::post(acceptor.get_executor(), [this] { do_accept(); });
  if (owns_io)
    io->start();
}

void server::impl::stop_accepting_locked() {
  draining = true;
  auto close_listener = [this] {
    beast::error_code ignored;
    acceptor.close(ignored);
    accept_retry.cancel();
  };
  if (started && !stopped && !on_io_thread()) {
    // The acceptor belongs to its I/O thread; wait so that on return no new
    // connection can be accepted any more.
    std::promise<void> done;
    net::post(acceptor.get_executor(), [&] {
      close_listener();
      done.set_value();
    });
    done.get_future().wait();
  } else if (started && !stopped) {
    net::post(acceptor.get_executor(), close_listener);
  } else {
    close_listener();
  }
  // Connections idle between requests are closed now (their clients reconnect
  // elsewhere); busy ones finish their request and close after the response.
  for (auto& s : snapshot())
    net::post(s->executor(), [s] { s->close_if_idle(); });
}

void server::impl::stop_accepting() {
  std::lock_guard lock{lifecycle_mutex};
  if (!stopped)
    stop_accepting_locked();
}

void server::impl::stop() {
  std::lock_guard lock{lifecycle_mutex};
  if (stopped)
    return;
  if (started)
    stop_accepting_locked();
  stopped = true;
  {
    // After this no responder touches the io_context: late responses are dropped.
    std::unique_lock gate_lock{gate->mutex};
    gate->open = false;
  }
  if (started && !on_io_thread())
    close_sessions_and_wait();
  if (owns_io)
    io->stop();
  // Only sessions whose threads did not run are left; close them from here.
  std::unordered_map<session*, std::shared_ptr<session>> remaining;
  {
    std::lock_guard sessions_lock{sessions_mutex};
    remaining.swap(sessions);
  }
  for (auto& [ptr, s] : remaining)
    s->force_close();
}

// Each session is closed on its own thread; the completions that closing
// queues (aborted reads, writes, timers) still hold sessions, which hold this
// impl, so wait until they have run and the last session is gone: the I/O
// threads may be shared and outlive the server.
void server::impl::close_sessions_and_wait() {
  for (auto& s : snapshot())
    net::post(s->executor(), [s] { s->close(); });
  for (int round = 0; round < 200; ++round) {
    if (!io->barrier())
      return;
    if (round >= 1 && live_sessions.load() == 0)
      return;
    if (round >= 10)
      std::this_thread::sleep_for(std::chrono::milliseconds{5});
  }
}

server::server(server_options options, request_handler handler,
               const std::shared_ptr<io_threads>& threads)
    : impl_(std::make_unique<impl>(std::move(options), std::move(handler), threads)) {
}

server::~server() = default;

void server::start() {
  impl_->start();
}

std::uint16_t server::port() const {
  return impl_->bound_port.load();
}

void server::stop_accepting() {
  impl_->stop_accepting();
}

bool server::drain(std::chrono::milliseconds timeout) {
  std::unique_lock lock{impl_->drain_mutex};
  return impl_->drained.wait_for(lock, timeout, [this] { return impl_->in_flight.load() == 0; });
}

void server::stop() {
  impl_->stop();
}

std::size_t server::in_flight() const {
  return impl_->in_flight.load();
}

std::size_t server::open_connections() const {
  return impl_->open.load();
}

}  // namespace svc::http
