// The scheduler that runs actors on the asio I/O threads (runtime/io_scheduler):
// where actors run, in what order, fairness between actors sharing one thread,
// timers, self-sends, detached and scoped actors beside it, and shutdown.
#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include "http/io_threads.hpp"
#include "runtime/io_scheduler.hpp"

namespace {

using namespace std::chrono_literals;
using ping_atom = caf::atom_constant<caf::atom("ping")>;
using where_atom = caf::atom_constant<caf::atom("where")>;

// An actor system whose actors run on `threads` I/O threads of the test's own.
struct io_system {
  explicit io_system(std::size_t threads, std::size_t max_throughput = 100)
      : io(std::make_shared<svc::http::io_threads>(threads, "test-io")) {
    io->start();
    cfg.set("scheduler.max-throughput", caf::config_value::integer(max_throughput));
    svc::use_io_scheduler(cfg, io);
    sys.emplace(cfg);
  }
  ~io_system() {
    sys.reset();  // waits for the actors, which still need the threads
    io->stop();
  }
  caf::actor_system& operator*() { return *sys; }

  std::shared_ptr<svc::http::io_threads> io;
  caf::actor_system_config cfg;
  std::optional<caf::actor_system> sys;
};

// CAF 0.17 applies a spawned function's arguments through a null pointer when
// there are none (UBSan: reference binding to null): give each spawn one.
template <caf::spawn_options Os = caf::no_spawn_options, class F>
caf::actor spawn_fn(caf::actor_system& sys, F fn) {
  return sys.spawn<Os>(
    [fn](caf::event_based_actor* self, int) mutable -> caf::behavior { return fn(self); }, 0);
}

// Answers `where` with the index of the I/O thread it runs on (-1: none).
caf::behavior locator(caf::event_based_actor*, std::shared_ptr<svc::http::io_threads> io) {
  return {[io](where_atom) {
    auto here = io->current_index();
    return here ? static_cast<int>(*here) : -1;
  }};
}

TEST(IoScheduler, ActorsRunOnTheIoThreads) {
  io_system s{2};
  auto actor = (*s).spawn(locator, s.io);
  caf::scoped_actor self{*s};
  for (int i = 0; i < 10; ++i)
    self->request(actor, 5s, where_atom::value)
      .receive([](int index) { EXPECT_TRUE(index == 0 || index == 1) << index; },
               [](caf::error& e) { ADD_FAILURE() << caf::to_string(e); });
  caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
}

// The HTTP front sends from an asio handler: the actor must resume on that
// handler's thread, after it, for each thread.
TEST(IoScheduler, AnActorMadeRunnableOnAnIoThreadResumesThere) {
  io_system s{2};
  for (std::size_t thread = 0; thread < 2; ++thread) {
    for (int round = 0; round < 20; ++round) {
      auto result = std::make_shared<std::promise<std::pair<int, bool>>>();
      auto handler_done = std::make_shared<std::atomic<bool>>(false);
      // lazy_init: the actor is idle (not queued anywhere) until the ping.
      auto actor = spawn_fn<caf::lazy_init>(
        *s, [=, io = s.io](caf::event_based_actor*) -> caf::behavior {
          return {[=](ping_atom) {
            auto here = io->current_index();
            result->set_value({here ? static_cast<int>(*here) : -1, handler_done->load()});
          }};
        });
      boost::asio::post(s.io->context(thread), [=] {
        caf::anon_send(actor, ping_atom::value);
        handler_done->store(true);  // the actor has not run yet: it runs after this handler
      });
      auto [index, after_handler] = result->get_future().get();
      EXPECT_EQ(index, static_cast<int>(thread));
      EXPECT_TRUE(after_handler);
      caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
    }
  }
}

TEST(IoScheduler, MessagesFromOneSenderArriveInOrder) {
  io_system s{2};
  constexpr int count = 20000;
  auto done = std::make_shared<std::promise<std::vector<int>>>();
  auto actor = spawn_fn(*s, [=](caf::event_based_actor*) -> caf::behavior {
    auto seen = std::make_shared<std::vector<int>>();
    return {[=](int n) {
      seen->push_back(n);
      if (n == count - 1)
        done->set_value(*seen);
    }};
  });
  for (int i = 0; i < count; ++i)
    caf::anon_send(actor, i);
  auto seen = done->get_future().get();
  ASSERT_EQ(seen.size(), static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i)
    ASSERT_EQ(seen[i], i);
  caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
}

TEST(IoScheduler, AnActorSendingToItselfKeepsGoingWithoutStarvingOthers) {
  io_system s{1, 10};
  auto finished = std::make_shared<std::promise<int>>();
  auto looper = spawn_fn(*s, [=](caf::event_based_actor* self) -> caf::behavior {
    return {[=](int n) {
      if (n == 5000)
        finished->set_value(n);
      else
        self->send(self, n + 1);
    }};
  });
  caf::anon_send(looper, 0);
  // Another actor on the same single thread still gets its turn meanwhile.
  auto actor = (*s).spawn(locator, s.io);
  caf::scoped_actor self{*s};
  self->request(actor, 5s, where_atom::value)
    .receive([](int index) { EXPECT_EQ(index, 0); },
             [](caf::error& e) { ADD_FAILURE() << caf::to_string(e); });
  EXPECT_EQ(finished->get_future().get(), 5000);
  caf::anon_send_exit(looper, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
}

// Runnable actors are drained in bounded batches: an actor that never stops
// sending to itself still leaves its thread to the other asio handlers (the
// sockets of the connections it shares the thread with).
TEST(IoScheduler, ABusyActorLeavesItsThreadToTheSockets) {
  io_system s{1, 10};
  constexpr int last = 200000;
  constexpr int posted_at = 1000;
  auto count = std::make_shared<std::atomic<int>>(0);
  auto handler_saw = std::make_shared<std::atomic<int>>(-1);
  auto finished = std::make_shared<std::promise<void>>();
  auto& context = s.io->context(0);
  auto looper = spawn_fn(*s, [=, &context](caf::event_based_actor* self) -> caf::behavior {
    return {[=, &context](int n) {
      count->store(n);
      // A handler posted from the actor's own thread, as a socket's completion
      // would be queued while the actor runs: counted in messages, not time, so
      // a loaded machine cannot make this test fail.
      if (n == posted_at)
        boost::asio::post(context, [=] { handler_saw->store(count->load()); });
      if (n == last)
        finished->set_value();
      else
        self->send(self, n + 1);
    }};
  });
  caf::anon_send(looper, 0);
  finished->get_future().get();
  const int when = handler_saw->load();
  ASSERT_GE(when, posted_at) << "the handler did not run while the actor was busy";
  // One batch is at most 64 resumes of 10 messages: the handler waits for the
  // batch in progress and not for the actor's 200 000 messages.
  EXPECT_LT(when - posted_at, 2 * 64 * 10) << "the handler waited for the actor to finish";
  caf::anon_send_exit(looper, caf::exit_reason::user_shutdown);
}

// With one thread, a flooded actor yields after max-throughput messages: an
// actor made runnable after it is served before the flood is through.
TEST(IoScheduler, AFloodedActorYieldsToTheOthersOnItsThread) {
  io_system s{1, 100};
  constexpr int flood = 10000;
  auto handled = std::make_shared<std::atomic<int>>(0);
  auto seen_by_other = std::make_shared<std::promise<int>>();
  auto flooded = spawn_fn(*s, [=](caf::event_based_actor*) -> caf::behavior {
    return {[=](int) { handled->fetch_add(1); }};
  });
  auto other = spawn_fn(*s, [=](caf::event_based_actor*) -> caf::behavior {
    return {[=](ping_atom) { seen_by_other->set_value(handled->load()); }};
  });
  // One handler enqueues both, so neither runs before both are queued.
  boost::asio::post(s.io->context(0), [=] {
    for (int i = 0; i < flood; ++i)
      caf::anon_send(flooded, i);
    caf::anon_send(other, ping_atom::value);
  });
  auto handled_before_other = seen_by_other->get_future().get();
  EXPECT_GE(handled_before_other, 100);
  EXPECT_LE(handled_before_other, 200) << "the flooded actor kept its thread";
  caf::anon_send_exit(flooded, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(other, caf::exit_reason::user_shutdown);
}

TEST(IoScheduler, TimersFireDelayedMessagesAndRequestTimeouts) {
  io_system s{2};
  auto fired = std::make_shared<std::promise<std::chrono::milliseconds>>();
  auto start = std::chrono::steady_clock::now();
  auto timer = spawn_fn(*s, [=](caf::event_based_actor* self) -> caf::behavior {
    self->delayed_send(self, 50ms, ping_atom::value);
    return {[=](ping_atom) {
      fired->set_value(std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start));
    }};
  });
  EXPECT_GE(fired->get_future().get(), 50ms);

  // A request nobody answers times out through the clock, on an I/O thread.
  auto silent = spawn_fn(*s, [](caf::event_based_actor*) -> caf::behavior {
    return {[](where_atom) -> caf::result<int> { return caf::delegated<int>{}; }};
  });
  auto outcome = std::make_shared<std::promise<std::pair<caf::error, bool>>>();
  auto asker = spawn_fn(*s, [=, io = s.io](caf::event_based_actor* self) -> caf::behavior {
    self->request(silent, 50ms, where_atom::value)
      .then(
        [=](int) {
          outcome->set_value({caf::error{}, false});
        },
        [=](caf::error& e) {
          outcome->set_value({e, io->current_index().has_value()});
        });
    return {[](ping_atom) {}};
  });
  auto [err, on_io_thread] = outcome->get_future().get();
  EXPECT_EQ(err, caf::sec::request_timeout);
  EXPECT_TRUE(on_io_thread);
  for (auto& a : {timer, silent, asker})
    caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
}

// The DB workers are detached actors; tests and start-up use scoped actors.
TEST(IoScheduler, DetachedAndScopedActorsKeepTheirOwnThreads) {
  io_system s{2};
  auto detached = (*s).spawn<caf::detached>(locator, s.io);
  auto scheduled = (*s).spawn(locator, s.io);
  caf::scoped_actor self{*s};
  self->request(detached, 5s, where_atom::value)
    .receive([](int index) { EXPECT_EQ(index, -1); },
             [](caf::error& e) { ADD_FAILURE() << caf::to_string(e); });
  // A detached actor's message to a scheduled one goes to an I/O thread.
  auto relay = spawn_fn<caf::detached>(*s, [=](caf::event_based_actor* me) -> caf::behavior {
    return {[=](where_atom) { return me->delegate(scheduled, where_atom::value); }};
  });
  self->request(relay, 5s, where_atom::value)
    .receive([](int index) { EXPECT_TRUE(index == 0 || index == 1) << index; },
             [](caf::error& e) { ADD_FAILURE() << caf::to_string(e); });
  for (auto& a : {detached, scheduled, relay})
    caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
}

// The actor system's destructor returns although an actor still had a long
// mailbox when it was told to exit, and the threads stop afterwards.
TEST(IoScheduler, ShutdownWithWorkQueuedCompletes) {
  auto handled = std::make_shared<std::atomic<int>>(0);
  {
    io_system s{2};
    auto busy = spawn_fn(*s, [=](caf::event_based_actor*) -> caf::behavior {
      return {[=](int) { handled->fetch_add(1); }};
    });
    for (int i = 0; i < 50000; ++i)
      caf::anon_send(busy, i);
    caf::anon_send_exit(busy, caf::exit_reason::user_shutdown);
  }  // a hang here is the failure (ctest's timeout)
  EXPECT_LE(handled->load(), 50000);
}

}  // namespace
