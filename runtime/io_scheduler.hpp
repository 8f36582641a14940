// A CAF scheduler whose workers are the process's asio I/O threads
// (http/io_threads.hpp), so that a request goes from socket to actors and back
// on one thread. An actor made runnable on an I/O thread (by an actor running
// there, or by an asio handler such as the HTTP front) resumes on that same
// thread after the current handler; one made runnable from any other thread (a
// detached DB worker, the clock, main) goes to the threads round robin.
//
// Knobs, read from the CAF config as CAF's own coordinators read them:
// `scheduler.max-throughput` (messages an actor handles per resume before the
// thread serves others; the services default to 100, see config/caf_ini.cpp).
// The number of threads is the io_threads' (`[scheduler] io-threads`, HTTP_THREADS).
//
// Detached actors and scoped actors keep their own threads, as with CAF's
// coordinators. Timers (delayed_send, request timeouts) run on CAF's own
// thread-safe clock, on a thread of its own.
#pragma once

#include <memory>

namespace caf {
class actor_system_config;
}

namespace svc {

namespace http {
class io_threads;
}

// The actor system built from `cfg` schedules its actors on `threads`. They
// must run from before the actor system is built until after it is destroyed.
void use_io_scheduler(caf::actor_system_config& cfg,
                      const std::shared_ptr<http::io_threads>& threads);

}  // namespace svc
