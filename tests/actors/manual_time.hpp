// Actors on CAF's deterministic scheduler (caf::scheduler::test_coordinator,
// scheduler.policy 'testing'), under GoogleTest without CAF's test runner: every
// actor runs on the test's own thread, only when the test calls run(), and time
// (the actors' clock: delayed_send, and what the actors read with
// self->clock().now()) moves only when the test calls advance(). No sleeping, no
// polling: each step's outcome is there when the call returns.
//
// Nothing from another thread may reach these actors (the test_coordinator is not
// thread-safe): no detached actors, no I/O threads sending to them. The actors
// under test get stand-ins for such neighbours (a transport, a pool).
#pragma once

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include <caf/actor.hpp>
#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <caf/send.hpp>

namespace svc_test {

// What an actor answered to ask(): a value, an error, or nothing yet.
template <class T>
struct answer {
  std::optional<T> value;
  caf::error error;
  bool arrived() const { return value.has_value() || static_cast<bool>(error); }
};

class ManualTime : public ::testing::Test {
protected:
  ManualTime()
      : sys_{testing_config(cfg_)},
        sched_{dynamic_cast<caf::scheduler::test_coordinator&>(sys_.scheduler())} {
    // Not at the clock's zero: a time point "long ago" must still be one.
    sched_.clock().current_time += std::chrono::hours{1};
  }

  ~ManualTime() override {
    // The test_coordinator stops by running until no timer is left, and the
    // actor system waits for every actor: both need the actors gone first.
    for (auto& a : actors_)
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    sched_.run();
    actors_.clear();
    sched_.run();
  }

  // Every actor handles what is in its mailbox, until none has anything left.
  std::size_t run() { return sched_.run(); }

  // Moves the clock by `d`: each timer due by then fires at its own time, and
  // the actors run before the next one, so that a periodic timer fires as often
  // as it would in `d` of real time (CAF's advance_time jumps to the end first).
  // What can run now runs first (e.g. an actor just spawned sets its timers).
  void advance(caf::timespan d) {
    sched_.run();
    auto& clock = sched_.clock();
    const auto end = clock.current_time + d;
    while (!clock.schedule().empty() && clock.schedule().begin()->first <= end) {
      clock.current_time = std::max(clock.current_time, clock.schedule().begin()->first);
      clock.trigger_timeout();
      sched_.run();
    }
    clock.current_time = end;
    sched_.run();
  }

  caf::actor_clock::time_point now() { return sched_.clock().now(); }

  // Ends `handle` with the test (or earlier, with stop()).
  template <class Handle>
  Handle keep(Handle handle) {
    actors_.push_back(caf::actor_cast<caf::actor>(handle));
    return handle;
  }

  template <class Handle>
  void stop(const Handle& handle) {
    caf::anon_send_exit(handle, caf::exit_reason::user_shutdown);
    run();
  }

  // Sends a request to `dest` from an actor of its own (nothing runs yet); the
  // answer is filled in by a later run() or advance().
  template <class T, class Handle, class... Ts>
  std::shared_ptr<answer<T>> ask(const Handle& dest, Ts... xs) {
    auto out = std::make_shared<answer<T>>();
    // Spawned with an argument: CAF 0.17 applies an argument-less spawn's
    // arguments through a null pointer (UBSan: reference binding to null).
    sys_.spawn(
      [dest, out, xs...](caf::event_based_actor* self, int) {
        self->request(dest, caf::infinite, xs...)
          .then([out](T& value) { out->value = std::move(value); },
                [out](caf::error& err) { out->error = std::move(err); });
      },
      0);
    return out;
  }

  // ask(), then run; the answer must be there.
  template <class T, class Handle, class... Ts>
  T ask_now(const Handle& dest, Ts... xs) {
    auto out = ask<T>(dest, xs...);
    run();
    EXPECT_TRUE(out->value) << (out->error ? caf::to_string(out->error) : "no answer");
    return out->value.value_or(T{});
  }

  static caf::actor_system_config& testing_config(caf::actor_system_config& cfg) {
    cfg.set("scheduler.policy", caf::atom("testing"));
    cfg.set("logger.file-verbosity", caf::atom("quiet"));
    cfg.set("logger.console-verbosity", caf::atom("quiet"));
    return cfg;
  }

  caf::actor_system_config cfg_;
  caf::actor_system sys_;
  caf::scheduler::test_coordinator& sched_;
  std::vector<caf::actor> actors_;
};

}  // namespace svc_test
