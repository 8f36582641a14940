// A stand-in for the DB pool (db_pool_actor's execute_atom) on the deterministic
// scheduler (manual_time.hpp): the real pool's workers are detached actors on
// threads of their own, which the test_coordinator cannot take messages from.
// The stand-in runs each task at once, inside its own turn on the test's thread,
// on one connection to the test's database; or fails it as a pool does while
// the database is down; or holds it until the test releases it. It records
// which task came when (by the actors' clock).
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <caf/actor_clock.hpp>
#include <caf/actor_system.hpp>
#include <caf/atom.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_response_promise.hpp>
#include <pqxx/pqxx>

#include "actors/db_pool_actor.hpp"
#include "persistence/statements.hpp"

namespace svc_test {

using release_atom = caf::atom_constant<caf::atom("release")>;

struct pool_script {
  enum class mode {
    run,   // run the task now, answer its outcome
    fail,  // answer db_failure::unavailable without running it
    hold,  // keep it until release_atom, then run it
  };
  mode how = mode::run;
  std::unique_ptr<pqxx::connection> conn;
  struct seen {
    std::string operation;
    caf::actor_clock::time_point at;
  };
  std::vector<seen> tasks;  // every task asked for, in order
};

namespace detail {

struct held_task {
  svc::db_task task;
  caf::typed_response_promise<svc::db_done> promise;
};

struct pool_stand_in_state {
  std::vector<held_task> held;
};

// Runs `task` on the script's connection; its failure as the pool reports it.
inline caf::error run_task(pool_script& script, svc::db_task& task) {
  try {
    task.run(*script.conn);
    return {};
  } catch (...) {
    return svc::make_error(svc::classify_current_exception());
  }
}

inline caf::behavior pool_stand_in(caf::stateful_actor<pool_stand_in_state>* self,
                                   std::shared_ptr<pool_script> script) {
  return {
    [=](svc::execute_atom, svc::db_task& task) -> caf::result<svc::db_done> {
      script->tasks.push_back({task.operation, self->clock().now()});
      switch (script->how) {
        case pool_script::mode::run:
          if (auto err = run_task(*script, task))
            return err;
          return svc::db_done{};
        case pool_script::mode::fail: return svc::make_error(svc::db_failure::unavailable);
        case pool_script::mode::hold: break;
      }
      auto promise = self->make_response_promise<svc::db_done>();
      self->state.held.push_back({std::move(task), promise});
      return promise;
    },
    [=](release_atom) {
      auto held = std::move(self->state.held);
      self->state.held.clear();
      for (auto& h : held) {
        if (auto err = run_task(*script, h.task))
          h.promise.deliver(std::move(err));
        else
          h.promise.deliver(svc::db_done{});
      }
    },
  };
}

}  // namespace detail

// One connection to `url`, with `statements` prepared on it as a pool's worker
// prepares them.
inline std::shared_ptr<pool_script> pool_script_for(const std::string& url,
                                                    const svc::statement_list& statements) {
  auto script = std::make_shared<pool_script>();
  script->conn = std::make_unique<pqxx::connection>(url);
  for (const auto& st : statements)
    script->conn->prepare(st.name, st.sql);
  return script;
}

// The stand-in as the pool's typed handle (it answers execute_atom only), and
// as an actor for release_atom.
inline caf::actor spawn_pool_stand_in(caf::actor_system& sys, std::shared_ptr<pool_script> script) {
  return sys.spawn(detail::pool_stand_in, std::move(script));
}

}  // namespace svc_test
