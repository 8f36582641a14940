#include "http/io_threads.hpp"

#include <future>
#include <mutex>
#include <pthread.h>
#include <stdexcept>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

namespace svc::http {
namespace net = boost::asio;

namespace {

// Which io_threads (and which of its threads) the calling thread belongs to.
thread_local const io_threads* current_owner = nullptr;
thread_local std::size_t current_slot = 0;

}  // namespace

struct io_threads::impl {
  std::string name;
  // One context per thread; the concurrency hint of 1 lets asio drop the
  // locking it needs when several threads run one context.
  std::vector<std::unique_ptr<net::io_context>> contexts;
  std::vector<net::executor_work_guard<net::io_context::executor_type>> work;
  std::vector<std::thread> threads;
  std::mutex lifecycle;
  bool running = false;
};

io_threads::io_threads(std::size_t count, std::string name) : impl_(std::make_unique<impl>()) {
  impl_->name = std::move(name);
  for (std::size_t i = 0; i < std::max<std::size_t>(1, count); ++i)
    impl_->contexts.push_back(std::make_unique<net::io_context>(1));
}

// stop() throws only when misused (from one of the pool's own threads) or when a
// lock or join fails: from the destructor that ends in std::terminate, on purpose.
io_threads::~io_threads() {  // NOLINT(bugprone-exception-escape): see above
  stop();
}

void io_threads::start() {
  std::lock_guard lock{impl_->lifecycle};
  if (impl_->running)
    return;
  impl_->running = true;
  for (auto& ctx : impl_->contexts) {
    ctx->restart();
    impl_->work.emplace_back(ctx->get_executor());
  }
  for (std::size_t i = 0; i < impl_->contexts.size(); ++i)
    impl_->threads.emplace_back([this, i] {
      current_owner = this;
      current_slot = i;
      auto thread_name = impl_->name + "." + std::to_string(i);
      pthread_setname_np(pthread_self(), thread_name.substr(0, 15).c_str());
      auto& ctx = *impl_->contexts[i];
      for (;;) {
        try {
          ctx.run();
          break;
        } catch (...) {
          // A throwing handler must not take the thread (and every connection
          // and actor it serves) down with it.
        }
      }
      current_owner = nullptr;
    });
}

void io_threads::stop() {
  if (current_owner == this)
    throw std::logic_error("io_threads::stop called from one of its own threads");
  std::lock_guard lock{impl_->lifecycle};
  if (!impl_->running)
    return;
  impl_->running = false;
  impl_->work.clear();
  for (auto& ctx : impl_->contexts)
    ctx->stop();
  for (auto& t : impl_->threads)
    t.join();
  impl_->threads.clear();
}

std::size_t io_threads::size() const {
  return impl_->contexts.size();
}

net::io_context& io_threads::context(std::size_t index) {
  return *impl_->contexts.at(index);
}

std::optional<std::size_t> io_threads::current_index() const {
  if (current_owner != this)
    return std::nullopt;
  return current_slot;
}

bool io_threads::barrier() {
  if (current_owner == this)
    throw std::logic_error("io_threads::barrier called from one of its own threads");
  {
    std::lock_guard lock{impl_->lifecycle};
    if (!impl_->running)
      return false;
  }
  std::vector<std::future<void>> done;
  for (auto& ctx : impl_->contexts) {
    auto reached = std::make_shared<std::promise<void>>();
    done.push_back(reached->get_future());
    net::post(*ctx, [reached] { reached->set_value(); });
  }
  for (auto& f : done)
    f.wait();
  return true;
}

}  // namespace svc::http
