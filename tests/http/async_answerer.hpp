// Runs callbacks on threads of its own, like actors answering later; joins them
// when destroyed. For the http::server tests' handlers.
#pragma once

#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

namespace svc::http::test {

class async_answerer {
public:
  ~async_answerer() {
    std::lock_guard lock{mutex_};
    for (auto& t : threads_)
      t.join();
  }
  template <class Fn>
  void later(std::chrono::milliseconds delay, Fn fn) {
    std::lock_guard lock{mutex_};
    threads_.emplace_back([delay, fn = std::move(fn)]() mutable {
      std::this_thread::sleep_for(delay);
      fn();
    });
  }

private:
  std::mutex mutex_;
  std::vector<std::thread> threads_;
};

}  // namespace svc::http::test
