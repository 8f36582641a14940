#include "actors/idempotency_janitor_actor.hpp"

#include <functional>

#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>
#include <pqxx/pqxx>

#include "observability/log.hpp"
#include "persistence/idempotency.hpp"

namespace svc {
namespace {

struct janitor_state {
  static inline const char* name = "idempotency-janitor";
  idempotency_janitor_config config;
};

using janitor_pointer = idempotency_janitor_actor::stateful_pointer<janitor_state>;
// `error` is empty unless a batch failed (the batches before it stay deleted).
using purge_done = std::function<void(std::int64_t deleted, caf::error error)>;

// One batch per database task; the next batch only when this one came back full.
void purge_from(janitor_pointer self, std::int64_t deleted_so_far, const purge_done& done) {
  const auto& cfg = self->state.config;
  run_db_task(
    self, cfg.pool, "idempotency.purge",
    [ttl = cfg.ttl, batch = cfg.batch](pqxx::connection_base& conn) {
      pqxx::nontransaction tx{conn};
      return purge_expired_idempotency_keys(tx, ttl, batch);
    },
    [self, deleted_so_far, done](std::int64_t deleted) {
      if (deleted >= self->state.config.batch)
        purge_from(self, deleted_so_far + deleted, done);
      else
        done(deleted_so_far + deleted, caf::error{});
    },
    [deleted_so_far, done](const caf::error& err) { done(deleted_so_far, err); });
}

idempotency_janitor_actor::behavior_type janitor(janitor_pointer self,
                                                 idempotency_janitor_config config) {
  self->state.config = std::move(config);
  self->delayed_send(self, self->state.config.interval, janitor_tick_atom::value);
  return {
    [=](purge_keys_atom) -> caf::result<std::int64_t> {
      auto promise = self->make_response_promise<std::int64_t>();
      purge_from(self, 0, [promise](std::int64_t deleted, caf::error err) mutable {
        if (err)
          promise.deliver(std::move(err));
        else
          promise.deliver(deleted);
      });
      return promise;
    },
    [=](janitor_tick_atom) {
      purge_from(self, 0, [self](std::int64_t deleted, const caf::error& err) {
        if (deleted > 0)
          log::info("expired idempotency keys deleted", {{"count", deleted}});
        if (err)  // e.g. the database is down: the next tick tries again
          log::warn("idempotency key purge failed", {{"error", caf::to_string(err)}});
        self->delayed_send(self, self->state.config.interval, janitor_tick_atom::value);
      });
    },
  };
}

}  // namespace

idempotency_janitor_actor spawn_idempotency_janitor(caf::actor_system& sys,
                                                    idempotency_janitor_config config) {
  return sys.spawn(janitor, std::move(config));
}

}  // namespace svc
