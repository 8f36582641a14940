#include "actors/user_check_reconciler_actor.hpp"

#include <algorithm>
#include <functional>
#include <map>
#include <optional>
#include <string_view>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>
#include <pqxx/pqxx>

#include "domain/order.hpp"
#include "http/request_id.hpp"
#include "http/trace_context.hpp"
#include "observability/log.hpp"
#include "persistence/orders_repository.hpp"

namespace svc {
namespace {

struct reconciler_state {
  static inline const char* name = "user-check-reconciler";
  user_check_reconciler_config config;
  // Where the next pass starts: past the orders of the last full batch, so that
  // an order user-service keeps answering oddly for cannot hold up the rest.
  std::int64_t after_id = 0;
};

using reconciler_pointer = user_check_reconciler_actor::stateful_pointer<reconciler_state>;
using pass_done = std::function<void(reconcile_report)>;

// One pass in flight: the batch read, and the answers gathered so far.
struct pass {
  std::vector<pending_user_check> batch;
  std::vector<std::int64_t> users;  // distinct user ids of the batch, in order
  std::size_t next_user = 0;
  std::map<std::int64_t, std::string_view> outcome_of;  // user id -> user_checks::*
  bool user_service_quiet = false;                      // a call went unanswered: stop asking
  pass_done done;
};
using pass_pointer = std::shared_ptr<pass>;

// "validated" or "user_not_found" for a definite answer; nullopt otherwise
// (not reached, or an answer that says neither).
std::optional<std::string_view> outcome_of(const outbound_result& r) {
  if (r.result != outbound_result::outcome::answered)
    return std::nullopt;
  if (r.status == 200)
    return user_checks::validated;
  if (r.status == 404)
    return user_checks::user_not_found;
  return std::nullopt;
}

void finish(reconciler_pointer self, const pass_pointer& p, reconcile_report report) {
  auto& st = self->state;
  if (p->user_service_quiet) {
    // The same orders come first again next time.
  } else if (static_cast<std::int64_t>(p->batch.size()) < st.config.batch) {
    st.after_id = 0;  // the end of the table: the next pass starts over
  } else {
    st.after_id = p->batch.back().order_id;
  }
  if (report.validated + report.user_not_found > 0)
    log::info("unvalidated orders checked again", {{"validated", report.validated},
                                                   {"user_not_found", report.user_not_found},
                                                   {"left_pending", report.left_pending}});
  p->done(report);
}

// Step 3: record every definite answer, each under its order's version.
void settle(reconciler_pointer self, const pass_pointer& p) {
  std::vector<std::pair<pending_user_check, std::string_view>> answers;
  reconcile_report unanswered;
  for (const auto& order : p->batch) {
    if (auto it = p->outcome_of.find(order.user_id); it != p->outcome_of.end())
      answers.emplace_back(order, it->second);
    else
      ++unanswered.left_pending;
  }
  if (answers.empty()) {
    finish(self, p, unanswered);
    return;
  }
  run_db_task(
    self, self->state.config.pool, "orders.user_check",
    [answers, unanswered](pqxx::connection_base& conn) {
      pqxx::work tx{conn};
      auto report = unanswered;
      for (const auto& [order, outcome] : answers) {
        if (!settle_user_check(tx, order, outcome))
          ++report.left_pending;  // changed by a client since it was read
        else if (outcome == user_checks::validated)
          ++report.validated;
        else
          ++report.user_not_found;
      }
      tx.commit();
      return report;
    },
    [self, p](reconcile_report report) {
      if (auto& metrics = self->state.config.metrics) {
        metrics->user_check_reconciled(user_checks::validated, report.validated);
        metrics->user_check_reconciled(user_checks::user_not_found, report.user_not_found);
      }
      finish(self, p, report);
    },
    [self, p](const caf::error& err) {
      log::warn("recording re-checked orders failed", {{"error", caf::to_string(err)}});
      p->user_service_quiet = true;  // nothing advanced: start from the same place
      finish(self, p, {0, 0, static_cast<std::int64_t>(p->batch.size())});
    });
}

// Step 2: one call at a time, so a pass never puts more than one call of its
// own on user-service; the first unanswered one ends the asking.
void ask_next(reconciler_pointer self, const pass_pointer& p) {
  if (p->user_service_quiet || p->next_user == p->users.size()) {
    settle(self, p);
    return;
  }
  auto user_id = p->users[p->next_user++];
  const auto trace = http::new_trace();
  log::request_scope scope{http::request_id_from(nullptr), trace.trace_id, trace.span_id, {}};
  outbound_call call{"GET",
                     "/api/v1/users/" + std::to_string(user_id),
                     {{"X-Request-ID", scope.request_id()},
                      {"Accept", "application/json"},
                      {"traceparent", trace.child_traceparent()}}};
  // No timeout of our own: the breaker actor always answers (its HTTP client
  // bounds every call), and an open circuit answers at once.
  self->request(self->state.config.users_breaker, caf::infinite, call_atom::value, std::move(call))
    .then(
      [self, p, user_id, scope](outbound_result& r) {
        if (auto outcome = outcome_of(r))
          p->outcome_of.emplace(user_id, *outcome);
        else if (r.result != outbound_result::outcome::answered)
          p->user_service_quiet = true;
        else
          log::warn(scope, "user check of an unvalidated order got an unexpected answer",
                    {{"status", std::int64_t{r.status}}});
        ask_next(self, p);
      },
      [self, p](caf::error&) {
        p->user_service_quiet = true;
        ask_next(self, p);
      });
}

// Step 1: read the next batch of pending orders.
void run_pass(reconciler_pointer self, pass_done done) {
  auto p = std::make_shared<pass>();
  p->done = std::move(done);
  const auto& cfg = self->state.config;
  run_db_task(
    self, cfg.pool, "orders.user_check",
    [after = self->state.after_id, limit = cfg.batch](pqxx::connection_base& conn) {
      pqxx::nontransaction tx{conn};
      return pending_user_checks(tx, after, limit);
    },
    [self, p](std::vector<pending_user_check> batch) {
      p->batch = std::move(batch);
      for (const auto& order : p->batch)
        if (std::find(p->users.begin(), p->users.end(), order.user_id) == p->users.end())
          p->users.push_back(order.user_id);
      ask_next(self, p);
    },
    [p](const caf::error& err) {
      log::warn("reading unvalidated orders failed", {{"error", caf::to_string(err)}});
      p->done({});
    });
}

user_check_reconciler_actor::behavior_type reconciler(reconciler_pointer self,
                                                      user_check_reconciler_config config) {
  self->state.config = std::move(config);
  self->delayed_send(self, self->state.config.interval, reconcile_tick_atom::value);
  return {
    [=](reconcile_atom) -> caf::result<reconcile_report> {
      auto promise = self->make_response_promise<reconcile_report>();
      run_pass(self, [promise](reconcile_report report) mutable { promise.deliver(report); });
      return promise;
    },
    [=](reconcile_tick_atom) {
      run_pass(self, [self](reconcile_report) {
        self->delayed_send(self, self->state.config.interval, reconcile_tick_atom::value);
      });
    },
  };
}

}  // namespace

user_check_reconciler_actor spawn_user_check_reconciler(caf::actor_system& sys,
                                                        user_check_reconciler_config config) {
  return sys.spawn(reconciler, std::move(config));
}

}  // namespace svc
