// The process's asio I/O threads: one io_context per thread, each run by exactly
// one thread. The HTTP server serves its connections on them and the actor
// scheduler (runtime/io_scheduler.cpp) runs actors on them, so a request can go
// from socket to actors and back without changing threads.
//
// Asio stays out of this header: callers that need an io_context include
// <boost/asio/io_context.hpp> themselves.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace boost::asio {
class io_context;
}

namespace svc::http {

class io_threads {
public:
  // `count` threads (at least one); `name` prefixes the threads' names (ps, top -H).
  explicit io_threads(std::size_t count, std::string name = "io");
  ~io_threads();  // stop(). NOLINT(bugprone-exception-escape): a throw terminates, on purpose
  io_threads(const io_threads&) = delete;
  io_threads& operator=(const io_threads&) = delete;

  // Starts the threads. Work posted before start() waits for it. Idempotent.
  void start();

  // Lets every context run out of work, stops it and joins the threads. Work
  // still queued is destroyed with the contexts, not run. Idempotent; refused
  // (std::logic_error) from one of these threads.
  void stop();

  std::size_t size() const;
  boost::asio::io_context& context(std::size_t index);

  // The index of the calling thread among these threads; empty on any other
  // thread (also on another io_threads' threads).
  std::optional<std::size_t> current_index() const;

  // Waits until every context has run what was posted to it before the call.
  // Must not be called from one of these threads; false when they do not run.
  bool barrier();

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace svc::http
