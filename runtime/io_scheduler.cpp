#include "runtime/io_scheduler.hpp"

#include <atomic>
#include <deque>
#include <mutex>
#include <shared_mutex>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/detail/thread_safe_actor_clock.hpp>
#include <caf/execution_unit.hpp>
#include <caf/logger.hpp>
#include <caf/resumable.hpp>
#include <caf/scheduler/abstract_coordinator.hpp>

#include "http/io_threads.hpp"

namespace svc {
namespace {

namespace net = boost::asio;

// One per I/O thread. CAF hands an actor made runnable by an actor running
// here to exec_later, so it stays on this thread.
//
// Runnable actors wait in a queue of the worker's own, drained by one asio
// handler at a time, instead of an asio handler each: a request's chain of
// actors (front, limiter, resource, pool) then runs in one handler, with no
// epoll_wait between its links, while a batch bound still lets the thread's
// sockets in between batches.
class io_worker final : public caf::execution_unit {
public:
  io_worker(caf::actor_system& sys, net::io_context& ctx, std::size_t max_throughput,
            std::atomic<std::uint64_t>& resumed)
      : caf::execution_unit(&sys), ctx_(ctx), max_throughput_(max_throughput), resumed_(resumed) {}

  void exec_later(caf::resumable* job) override { schedule_here(job); }

  // On this worker's own thread only: runs after the current handler (an actor,
  // an asio handler) finishes, never inside it.
  void schedule_here(caf::resumable* job) {
    ready_.push_back(job);
    if (!drain_posted_) {
      drain_posted_ = true;
      net::post(ctx_, [this] { drain(); });
    }
  }

  // From any thread: a handler of its own, which drains at once unless a drain
  // is already on its way.
  void schedule(caf::resumable* job) {
    net::post(ctx_, [this, job] {
      ready_.push_back(job);
      if (!drain_posted_) {
        drain_posted_ = true;
        drain();
      }
    });
  }

private:
  // Jobs per drain before the thread's other handlers (sockets, timers) get a turn.
  static constexpr std::size_t drain_batch = 64;

  void drain() {
    for (std::size_t n = 0; n < drain_batch && !ready_.empty(); ++n) {
      auto* job = ready_.front();
      ready_.pop_front();
      run(job);
    }
    if (ready_.empty())
      drain_posted_ = false;
    else
      net::post(ctx_, [this] { drain(); });  // behind what else the thread has queued
  }

  void run(caf::resumable* job) {
    resumed_.fetch_add(1, std::memory_order_relaxed);
    switch (job->resume(this, max_throughput_)) {
      case caf::resumable::resume_later:
        // Behind the other runnable actors: a busy actor cannot starve them.
        // The queue keeps our reference.
        ready_.push_back(job);
        break;
      case caf::resumable::done:
      case caf::resumable::awaiting_message: caf::intrusive_ptr_release(job); break;
      case caf::resumable::shutdown_execution_unit: break;  // only CAF's own workers get this
    }
  }

  net::io_context& ctx_;
  const std::size_t max_throughput_;
  std::atomic<std::uint64_t>& resumed_;
  std::deque<caf::resumable*> ready_;  // this thread's only
  bool drain_posted_ = false;          // this thread's only
};

class io_coordinator final : public caf::scheduler::abstract_coordinator {
public:
  using super = caf::scheduler::abstract_coordinator;

  io_coordinator(caf::actor_system& sys, std::shared_ptr<http::io_threads> io)
      : super(sys), io_(std::move(io)) {}

  void init(caf::actor_system_config& cfg) override {
    super::init(cfg);
    num_workers_ = io_->size();
  }

  void start() override {
    for (std::size_t i = 0; i < io_->size(); ++i)
      workers_.push_back(
        std::make_unique<io_worker>(system(), io_->context(i), max_throughput_, resumed_));
    clock_thread_ = std::thread{[this] { clock_.run_dispatch_loop(); }};
    super::start();
  }

  void stop() override {
    // The actor system has waited for every actor it counts; its hidden ones
    // and the utility actors may still have work queued. Run until a round of
    // every thread resumed nothing more.
    stop_actors();
    for (int round = 0; round < 1000; ++round) {
      auto before = resumed_.load();
      if (!io_->barrier() || resumed_.load() == before)
        break;
    }
    {
      // Exclusive: an enqueue from another thread that saw the scheduler running
      // has posted its job by now, and the barrier below runs it.
      std::unique_lock gate{stop_gate_};
      stopped_ = true;
    }
    io_->barrier();
    // A spawn on a thread leaves a reference to CAF's logger in that thread's
    // thread_local (caf::actor_system::spawn_impl); CAF's own workers drop it
    // when their threads end, but these threads outlive the actor system, whose
    // destructor waits for the logger's. Drop it on each of them.
    for (std::size_t i = 0; i < io_->size(); ++i)
      net::post(io_->context(i), [] { caf::logger::set_current_actor_system(nullptr); });
    io_->barrier();
    clock_.cancel_dispatch_loop();
    clock_thread_.join();
  }

  void enqueue(caf::resumable* job) override {
    if (auto here = io_->current_index()) {
      workers_[*here]->schedule_here(job);
      return;
    }
    // From another thread (a detached DB worker, the clock, main): checked and
    // posted under the gate, so that no job lands on a thread after stop().
    std::shared_lock gate{stop_gate_};
    if (stopped_) {
      // The system is going away: release the actor as CAF's coordinators
      // release what their workers still held when they stopped.
      cleanup_and_release(job);
      return;
    }
    workers_[next_worker_.fetch_add(1, std::memory_order_relaxed) % workers_.size()]->schedule(job);
  }

  caf::detail::thread_safe_actor_clock& clock() noexcept override { return clock_; }

private:
  std::shared_ptr<http::io_threads> io_;
  std::vector<std::unique_ptr<io_worker>> workers_;
  std::atomic<std::uint64_t> resumed_{0};
  std::shared_mutex stop_gate_;
  bool stopped_ = false;  // guarded by stop_gate_
  caf::detail::thread_safe_actor_clock clock_;
  std::thread clock_thread_;
};

}  // namespace

void use_io_scheduler(caf::actor_system_config& cfg,
                      const std::shared_ptr<http::io_threads>& threads) {
  cfg.module_factories.push_back([threads](caf::actor_system& sys) -> caf::actor_system::module* {
    return new io_coordinator(sys, threads);
  });
}

}  // namespace svc
