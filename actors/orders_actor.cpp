// The orders resource's own rules: a new order's user is checked with
// user-service through the breaker actor first. The rest is the collection
// resource's (actors/collection_resource.hpp).
#include "actors/orders_actor.hpp"

#include <caf/actor_system.hpp>
#include <pqxx/transaction>

#include "actors/collection_resource.hpp"
#include "domain/money.hpp"
#include "domain/order.hpp"
#include "observability/log.hpp"
#include "persistence/orders_repository.hpp"

namespace svc {
namespace {

// What user-service said about an order's user.
enum class user_answer { exists, missing, unknown };

// An order ready for its insert: the draft and what is known of its user.
struct checked_order {
  order_draft draft;
  std::string_view user_check;  // one of order_user_checks()
};

using create_order = create_pointer<order_draft>;
using insert_step = std::function<void(std::variant<checked_order, http::response>)>;

user_answer interpret(const outbound_result& r, const create_request<order_draft>& c) {
  using outcome = outbound_result::outcome;
  if (r.result == outcome::answered && r.status == 200)
    return user_answer::exists;
  if (r.result == outcome::answered && r.status == 404)
    return user_answer::missing;
  std::string reason = r.result == outcome::rejected ? "circuit open"
                       : r.result == outcome::shed   ? "too many calls to user-service in flight"
                       : r.result == outcome::failed ? r.error
                                                     : "status " + std::to_string(r.status);
  // A failed call is news (and the breaker lets only a few through before it
  // opens). An order turned away by the open breaker, or shed, is not: the
  // breaker actor logged the episode once as a warning, the metrics count it, and
  // a warning per order would flood the log for as long as it lasts.
  const bool expected = r.result == outcome::rejected || r.result == outcome::shed;
  log::write(expected ? log::level::info : log::level::warn, c.scope,
             "user not validated; order taken anyway (graceful degradation)", {{"reason", reason}});
  return user_answer::unknown;
}

// The order once user-service answered (or did not in time).
void after_check(const create_order& c, user_answer answer, const insert_step& next) {
  if (answer == user_answer::missing) {
    next(validation_failed({{"user_id", "user does not exist"}}, c->scope.request_id()));
    return;
  }
  next(checked_order{
    c->draft, answer == user_answer::exists ? user_checks::validated : user_checks::pending});
}

// Asks user-service, through the breaker, whether the user exists; for at most
// validation_timeout. Past it the order is taken with user_check "pending" (the
// reconciler asks again later) while the call runs on in the breaker actor,
// which still counts its outcome.
void check_user(resource_actor::pointer self, const breaker_actor& users,
                std::chrono::milliseconds timeout, const create_order& c, const insert_step& next) {
  outbound_call call{"GET",
                     "/api/v1/users/" + std::to_string(c->draft.user_id),
                     {{"X-Request-ID", c->scope.request_id()},
                      {"Accept", "application/json"},
                      {"traceparent", c->trace.child_traceparent()}}};
  if (!c->trace.tracestate.empty())
    call.headers.push_back({"tracestate", c->trace.tracestate});
  self->request(users, timeout, call_atom::value, std::move(call))
    .then([=](outbound_result& r) { after_check(c, interpret(r, *c), next); },
          [=](caf::error& err) {
            log::info(
              c->scope, "user not validated in time; order taken anyway (graceful degradation)",
              {{"reason", err == caf::sec::request_timeout ? "USER_VALIDATION_TIMEOUT passed"
                                                           : caf::to_string(err)}});
            after_check(c, user_answer::unknown, next);
          });
}

struct order_rules {
  using item = order;
  using draft = order_draft;
  using patch = order_patch;
  using insertable = checked_order;
  static constexpr std::string_view noun = "order";
  static constexpr collection_operations operations{"orders.create", "orders.list", "orders.get",
                                                    "orders.update", "orders.delete"};

  db_pool_actor pool;
  breaker_actor users_breaker;
  std::chrono::milliseconds validation_timeout;

  std::string_view conflict_message() const { return ""; }
  const collection_table& table() const { return orders_table(); }
  nlohmann::json to_json(const order& o) const { return svc::to_json(o); }

  // Prices are checked against the body's own number text: no binary floating point on the way.
  std::variant<order_draft, field_errors> validate_create(const nlohmann::json& body,
                                                          const api_request& req) const {
    return validate_order_create(body, top_level_number_texts(req.body));
  }
  std::variant<order_patch, field_errors> validate_update(const nlohmann::json& body,
                                                          const api_request& req) const {
    return validate_order_update(body, top_level_number_texts(req.body));
  }

  db_statement list_statement(const api_request& req, const page_request& page,
                              field_errors& errors) const {
    order_filter filter;
    filter.page = page;
    filter.status = parse_enum_param(req.query, "status", order_statuses(), errors);
    filter.user_id = parse_id_param(req.query, "user_id", errors);
    filter.search = parse_search(req.query, errors);
    return list_orders_statement(filter);
  }
  std::vector<order> listed(const pg_rows& rows) const { return listed_orders(rows).items; }

  db_statement find_statement(std::int64_t id) const { return find_order_statement(id); }
  std::optional<order> found(const pg_rows& rows) const { return found_order(rows); }

  db_statement update_statement(std::int64_t id, const order_patch& p,
                                const version_precondition& pre) const {
    return update_order_statement(id, p, pre);
  }
  write_result<order> updated(const pg_rows& rows) const { return updated_order(rows); }
  std::string refusal(const std::string& current_status, const order_patch& p) const {
    return "order status cannot change from " + current_status + " to " + p.status.value_or("");
  }

  db_statement insert_statement(const checked_order& o) const {
    return insert_order_statement(o.draft, o.user_check);
  }
  order inserted(const pg_rows& rows) const { return inserted_order(rows); }
  order insert_in(pqxx::transaction_base& tx, const checked_order& o) const {
    return insert_order(tx, o.draft, o.user_check);
  }

  // The user check. With an Idempotency-Key, a retry is first answered from the
  // first response, without asking user-service again.
  void prepare_insert(resource_actor::pointer self, const create_order& c,
                      const insert_step& next) const {
    if (!c->idempotency_key) {
      check_user(self, users_breaker, validation_timeout, c, next);
      return;
    }
    run_db_task(
      self, pool, "orders.idempotency",
      [c](pqxx::connection_base& conn) {
        pqxx::work tx{conn};
        auto earlier = idempotent_answer(
          begin_idempotent(tx, c->idempotency_scope(), *c->idempotency_key, c->fingerprint),
          c->scope.request_id());
        tx.commit();
        return earlier;
      },
      [self, users = users_breaker, timeout = validation_timeout, c,
       next](std::optional<http::response> earlier) {
        if (earlier)
          next(with_location(std::move(*earlier), c->collection));
        else
          check_user(self, users, timeout, c, next);
      },
      [c, next](const caf::error& err) {
        next(database_error_response(err, c->scope.request_id(), ""));
      },
      c->scope);
  }
};

}  // namespace

resource_actor spawn_orders_actor(caf::actor_system& sys, orders_actor_config config) {
  return sys.spawn(collection_behavior<order_rules>,
                   order_rules{std::move(config.pool), std::move(config.users_breaker),
                               config.validation_timeout});
}

}  // namespace svc
