#include "http/orphaned_threads.hpp"

#include <algorithm>
#include <utility>

namespace svc::http {

orphaned_threads& orphaned_threads::get() {
  static orphaned_threads instance;
  return instance;
}

void orphaned_threads::adopt(std::vector<std::thread> threads) {
  std::vector<std::thread> ended;
  {
    std::lock_guard lock{mutex_};
    for (auto& t : threads)
      threads_.push_back(std::move(t));
    for (auto it = threads_.begin(); it != threads_.end();) {
      auto done = std::find(finished_.begin(), finished_.end(), it->get_id());
      if (done == finished_.end()) {
        ++it;
        continue;
      }
      finished_.erase(done);
      ended.push_back(std::move(*it));
      it = threads_.erase(it);
    }
  }
  for (auto& t : ended)
    t.join();  // past finished(): they only return
}

void orphaned_threads::finished() {
  std::lock_guard lock{mutex_};
  finished_.push_back(std::this_thread::get_id());
}

orphaned_threads::~orphaned_threads() {
  std::vector<std::thread> threads;
  {
    std::lock_guard lock{mutex_};
    threads.swap(threads_);
  }
  for (auto& t : threads)
    t.get_id() == std::this_thread::get_id() ? t.detach() : t.join();  // exit() from a callback
}

}  // namespace svc::http
