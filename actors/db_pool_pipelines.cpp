#include "actors/db_pool_pipelines.hpp"

#include <algorithm>
#include <limits>
#include <optional>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include "config/secret_mask.hpp"
#include "http/io_threads.hpp"
#include "observability/log.hpp"

namespace svc {
namespace {

// How long a statement may run before its connection counts as held up.
constexpr auto slow_statement = std::chrono::milliseconds{20};
// How many more statements in flight make another I/O thread's connection worth
// the cross-thread hand-off of its answer.
constexpr std::size_t other_thread_penalty = 32;

}  // namespace

struct db_pool_pipelines::slot {
  explicit slot(const statement_catalog& catalog, std::chrono::milliseconds timeout)
      : conn(catalog, timeout) {}
  pg_pipeline conn;
  // The connection's socket in the io_context, never owning it (libpq closes it).
  std::optional<boost::asio::posix::stream_descriptor> socket;
  boost::asio::io_context* context = nullptr;
  std::size_t io_index = 0;     // which I/O thread watches the socket
  bool for_long_reads = false;  // kept for statements that may run long
  // Bumped whenever the socket is let go, so that a late event of an earlier
  // socket is recognised and dropped.
  std::uint64_t generation = 0;
  bool read_armed = false;
  bool write_armed = false;
  // The oldest statement when a cancel was last asked for, so it is asked once.
  pg_pipeline::clock::time_point cancelled{};
  // Connection attempts failing in a row: only the first is logged.
  bool failing = false;
};

db_pool_pipelines::db_pool_pipelines(std::shared_ptr<http::io_threads> io, settings config,
                                     const statement_catalog& catalog, notify_fn notify)
    : io_(std::move(io)),
      config_(std::move(config)),
      catalog_(catalog),
      notify_(std::move(notify)) {
  const auto quick = config_.connections == 0 ? 1 : config_.connections;
  for (std::size_t i = 0; i < quick + config_.long_read_connections; ++i) {
    auto s = std::make_unique<slot>(catalog_, config_.statement_timeout);
    s->io_index = i % io_->size();
    s->for_long_reads = i >= quick;
    s->context = &io_->context(s->io_index);
    s->conn.before_socket_closes([this, raw = s.get()] { release_socket(*raw); });
    slots_.push_back(std::move(s));
  }
}

db_pool_pipelines::~db_pool_pipelines() {
  for (auto& s : slots_)
    s->conn.close("the pool stopped");
}

void db_pool_pipelines::release_socket(slot& s) {
  if (s.socket) {
    // release(), not close(): the descriptor is libpq's. Pending waits end with
    // operation_aborted; the generation makes any already queued event stale.
    s.socket->release();
    s.socket.reset();
  }
  s.read_armed = s.write_armed = false;
  ++s.generation;
}

void db_pool_pipelines::open(std::size_t index) {
  auto& s = *slots_[index];
  s.conn.connect(config_.conninfo);
  watch(index);
}

void db_pool_pipelines::connect_all() {
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    auto state = slots_[i]->conn.current();
    if (state == pg_pipeline::state::closed || state == pg_pipeline::state::broken)
      open(i);
  }
}

void db_pool_pipelines::watch(std::size_t index) {
  auto& s = *slots_[index];
  const int fd = s.conn.socket();
  if (fd < 0) {
    release_socket(s);
    return;
  }
  // While connecting, libpq may move to another socket (the next address of a
  // host name) that can even get the old number: watch afresh after each step.
  if (s.socket &&
      (s.conn.current() == pg_pipeline::state::connecting || s.socket->native_handle() != fd))
    release_socket(s);
  if (!s.socket)
    s.socket.emplace(*s.context, fd);
  auto arm = [&](bool writable) {
    auto wait = writable ? boost::asio::posix::stream_descriptor::wait_write
                         : boost::asio::posix::stream_descriptor::wait_read;
    s.socket->async_wait(wait, [notify = notify_, index, generation = s.generation,
                                writable](const boost::system::error_code& ec) {
      if (ec != boost::asio::error::operation_aborted)
        notify(index, generation, writable);
    });
  };
  if (s.conn.wants_read() && !s.read_armed) {
    s.read_armed = true;
    arm(false);
  }
  if (s.conn.wants_write() && !s.write_armed) {
    s.write_armed = true;
    arm(true);
  }
}

db_pool_pipelines::event db_pool_pipelines::on_socket_ready(std::size_t index,
                                                            std::uint64_t generation,
                                                            bool writable) {
  if (index >= slots_.size() || slots_[index]->generation != generation)
    return event::nothing;
  auto& s = *slots_[index];
  (writable ? s.write_armed : s.read_armed) = false;
  const auto before = s.conn.current();
  const auto waiting = s.conn.in_flight();
  s.conn.advance();
  const auto after = s.conn.current();
  if (after != pg_pipeline::state::broken)
    watch(index);
  if (before == pg_pipeline::state::connecting && after == pg_pipeline::state::ready) {
    if (s.failing)
      log::info("pipelined database connection open again");
    s.failing = false;
    return event::connected;
  }
  if (after != pg_pipeline::state::broken)
    return event::nothing;
  if (before != pg_pipeline::state::connecting) {
    log::warn("pipelined database connection broke; opening a fresh one",
              {{"error", mask_secrets(s.conn.last_error())}});
    return event::broke;
  }
  if (!s.failing)
    log::warn("pipelined database connection failed",
              {{"error", mask_secrets(s.conn.last_error())}});
  s.failing = true;
  return waiting > 0 ? event::connect_failed : event::nothing;
}

bool db_pool_pipelines::submit(const db_statement& statement, pg_completion done) {
  // Results come back in order, so a statement queued behind a slow one waits
  // for it. So a read that may run long goes to a connection kept for such
  // reads, every other statement to one of the others; and a connection whose
  // oldest statement has run for slow_statement (an update waiting for a row
  // lock, say) is passed over while another of its kind is not so held up.
  // Among the rest, one watched by the calling I/O thread (the request's: its
  // answer then comes back on the thread that writes the response, with no
  // wake-up of another thread) unless it has far more in flight; then the
  // fewest in flight. A connection still opening is a last resort (its queue
  // waits for the handshake).
  const auto now = pg_pipeline::clock::now();
  const auto here = io_->current_index();
  auto load_of = [&](const slot& s) -> std::optional<std::size_t> {
    const auto& conn = s.conn;
    switch (conn.current()) {
      case pg_pipeline::state::ready: {
        const bool held_up = conn.in_flight() > 0 &&
                             now - conn.oldest_submitted() >= slow_statement;
        const bool elsewhere = here && *here != s.io_index;
        return conn.in_flight() + (held_up ? 1'000'000 : 0) +
               (elsewhere ? other_thread_penalty : 0);
      }
      case pg_pipeline::state::connecting: return conn.in_flight() + 2'000'000;
      default: return std::nullopt;
    }
  };
  const bool long_read = statement.may_run_long && config_.long_read_connections > 0;
  std::optional<std::size_t> best;
  auto best_load = std::numeric_limits<std::size_t>::max();
  for (std::size_t n = 0; n < slots_.size(); ++n) {
    const auto i = (next_ + n) % slots_.size();
    if (slots_[i]->for_long_reads != long_read)
      continue;
    if (auto load = load_of(*slots_[i]); load && *load < best_load) {
      best = i;
      best_load = *load;
    }
  }
  if (!best)
    return false;
  next_ = (*best + 1) % slots_.size();
  auto& s = *slots_[*best];
  s.conn.submit(statement, std::move(done));
  if (s.conn.current() == pg_pipeline::state::broken)
    open(*best);  // the send itself failed: a fresh connection, whose failure tells the pool
  else if (std::find(unflushed_.begin(), unflushed_.end(), *best) == unflushed_.end())
    unflushed_.push_back(*best);
  return true;
}

void db_pool_pipelines::flush() {
  for (auto index : unflushed_) {
    auto& s = *slots_[index];
    s.conn.flush();
    if (s.conn.current() == pg_pipeline::state::broken)
      open(index);
    else
      watch(index);
  }
  unflushed_.clear();
}

bool db_pool_pipelines::tick(std::chrono::milliseconds stuck_after) {
  const auto now = pg_pipeline::clock::now();
  bool connect_timed_out = false;
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    auto& s = *slots_[i];
    if (s.conn.current() == pg_pipeline::state::connecting &&
        now - s.conn.state_since() >= stuck_after) {
      // libpq gives up on an unreachable host only after the kernel's TCP timeout.
      log::warn("pipelined database connection not established within the statement timeout");
      s.conn.close("the database did not answer the connection attempt in time");
      connect_timed_out = true;
    } else if (s.conn.current() != pg_pipeline::state::ready) {
      continue;
    } else if (s.conn.in_flight() > 0 && now - s.conn.oldest_submitted() >= stuck_after) {
      // No answer long past the statement timeout: the server or the network is gone.
      log::warn(
        "pipelined database connection gave no answer past the statement timeout; replacing it");
      s.conn.close("no answer from the database within the statement timeout");
      open(i);
    } else if (s.conn.in_flight() > 0 &&
               now - s.conn.oldest_submitted() >= config_.statement_timeout &&
               s.cancelled != s.conn.oldest_submitted()) {
      // The session's statement_timeout cancels it first where we could set one;
      // behind a transaction-mode pooler (no session SET) this is what does.
      s.cancelled = s.conn.oldest_submitted();
      log::warn("a statement ran past the statement timeout; cancelling it",
                {{"timeout_ms", static_cast<std::int64_t>(config_.statement_timeout.count())}});
      s.conn.cancel_running_statement();
    } else if (s.conn.in_flight() == 0 && now - s.conn.state_since() >= config_.max_lifetime) {
      open(i);  // connect() closes the old one first
    }
  }
  return connect_timed_out;
}

db_pool_pipelines::usage db_pool_pipelines::connections() const {
  usage u;
  for (const auto& s : slots_)
    if (s->conn.current() == pg_pipeline::state::ready)
      (s->conn.in_flight() > 0 ? u.in_use : u.idle) += 1;
  return u;
}

}  // namespace svc
