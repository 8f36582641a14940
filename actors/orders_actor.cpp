#include "actors/orders_actor.hpp"

#include <caf/actor_system.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <nlohmann/json.hpp>
#include <pqxx/transaction>

#include "domain/money.hpp"
#include "domain/order.hpp"
#include "http/envelope.hpp"
#include "observability/log.hpp"
#include "persistence/orders_repository.hpp"

namespace svc {
namespace {

constexpr std::string_view create_scope = "POST /api/v1/orders";

using self_pointer = resource_actor::pointer;
using promise_type = caf::typed_response_promise<http::response>;

// What user-service said about an order's user.
enum class user_answer { exists, missing, unknown };

// A create between its steps: the validated order and what its answer needs.
struct create_request {
  order_draft draft;
  std::optional<std::string> idempotency_key;
  std::string fingerprint;  // idempotency_fingerprint of the body
  std::string request_id;
  std::string collection;  // "/api/v1/orders", for Location
  http::trace_context trace;
};
using create_pointer = std::shared_ptr<const create_request>;

http::response order_response(const order& o, unsigned status = 200) {
  return with_etag(http::ok_response(to_json(o), status), o.version);
}

http::response not_found(std::string_view request_id) {
  return write_refused(write_outcome::not_found, "order", request_id);
}

user_answer interpret(const outbound_result& r, const create_request& c) {
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
  log::write(expected ? log::level::info : log::level::warn,
             "user not validated; order taken anyway (graceful degradation)",
             {{"request_id", c.request_id}, {"trace_id", c.trace.trace_id}, {"span_id", c.trace.span_id},
              {"reason", reason}});
  return user_answer::unknown;
}

// Step 3 of a create: insert the order (and its idempotency record).
void insert_checked(self_pointer self, const orders_actor_config& cfg, create_pointer c,
                    user_answer answer, promise_type promise) {
  if (answer == user_answer::missing) {
    promise.deliver(validation_failed({{"user_id", "user does not exist"}}, c->request_id));
    return;
  }
  auto check = answer == user_answer::exists ? user_checks::validated : user_checks::pending;
  // Without a key the insert is the only statement, pipelined; with one, the
  // key's row and the order are written in one transaction.
  if (!c->idempotency_key) {
    deliver_from_query(self, cfg.pool, "orders.create", insert_order_statement(c->draft, check), c->request_id, "",
                       [c](const pg_rows& rows) {
                         return with_location(order_response(inserted_order(rows), 201), c->collection);
                       },
                       std::move(promise));
    return;
  }
  deliver_from_database(
    self, cfg.pool, "orders.create", c->request_id, "",
    [c, check](pqxx::transaction_base& tx) {
      if (auto earlier = idempotent_answer(
            begin_idempotent(tx, create_scope, *c->idempotency_key, c->fingerprint), c->request_id))
        return with_location(std::move(*earlier), c->collection);
      auto created = with_location(order_response(insert_order(tx, c->draft, check), 201), c->collection);
      record_idempotent(tx, create_scope, *c->idempotency_key, c->fingerprint, to_stored(created));
      return created;
    },
    std::move(promise));
}

// Step 2: ask user-service, through the breaker, whether the user exists; for at
// most validation_timeout. Past it the order is taken with user_check "pending"
// (the reconciler asks again later) while the call runs on in the breaker actor,
// which still counts its outcome.
void check_user(self_pointer self, const orders_actor_config& cfg, create_pointer c,
                promise_type promise) {
  outbound_call call{"GET", "/api/v1/users/" + std::to_string(c->draft.user_id),
                     {{"X-Request-ID", c->request_id},
                      {"Accept", "application/json"},
                      {"traceparent", c->trace.child_traceparent()}}};
  if (!c->trace.tracestate.empty())
    call.headers.push_back({"tracestate", c->trace.tracestate});
  self->request(cfg.users_breaker, cfg.validation_timeout, call_atom::value, std::move(call))
    .then(
      [=](outbound_result& r) mutable {
        insert_checked(self, cfg, c, interpret(r, *c), std::move(promise));
      },
      [=](caf::error& err) mutable {
        log::info("user not validated in time; order taken anyway (graceful degradation)",
                  {{"request_id", c->request_id},
                   {"trace_id", c->trace.trace_id},
                   {"span_id", c->trace.span_id},
                   {"reason", err == caf::sec::request_timeout ? "USER_VALIDATION_TIMEOUT passed"
                                                               : caf::to_string(err)}});
        insert_checked(self, cfg, c, user_answer::unknown, std::move(promise));
      });
}

caf::result<http::response> create(self_pointer self, const orders_actor_config& cfg,
                                   api_request& req) {
  if (auto rejected = reject_bad_idempotency_key(req))
    return std::move(*rejected);
  auto body = parse_json_body(req);
  if (auto* error = std::get_if<http::response>(&body))
    return std::move(*error);
  const auto& json = std::get<nlohmann::json>(body);
  auto checked = validate_order_create(json, top_level_number_texts(req.body));
  if (auto* errors = std::get_if<field_errors>(&checked))
    return validation_failed(std::move(*errors), req.request_id);
  auto c = std::make_shared<const create_request>(create_request{
    std::get<order_draft>(std::move(checked)), req.idempotency_key, idempotency_fingerprint(json),
    req.request_id, req.route, req.trace});
  auto promise = self->make_response_promise<http::response>();
  if (!c->idempotency_key) {
    check_user(self, cfg, std::move(c), promise);
    return promise;
  }
  // Step 1 (with a key): a retry is answered from the first response without
  // asking user-service again.
  run_db_task(
    self, cfg.pool, "orders.idempotency",
    [c](pqxx::connection_base& conn) {
      pqxx::work tx{conn};
      auto earlier = idempotent_answer(begin_idempotent(tx, create_scope, *c->idempotency_key, c->fingerprint),
                                       c->request_id);
      tx.commit();
      return earlier;
    },
    [=](std::optional<http::response> earlier) mutable {
      if (earlier)
        promise.deliver(with_location(std::move(*earlier), c->collection));
      else
        check_user(self, cfg, c, promise);
    },
    [=](const caf::error& err) mutable {
      promise.deliver(database_error_response(err, c->request_id, ""));
    },
    c->request_id);
  return promise;
}

caf::result<http::response> list(self_pointer self, const orders_actor_config& cfg,
                                 const api_request& req) {
  field_errors errors;
  order_filter filter;
  filter.page = parse_page(req.query, errors);
  filter.status = parse_enum_param(req.query, "status", order_statuses(), errors);
  filter.user_id = parse_id_param(req.query, "user_id", errors);
  filter.search = parse_search(req.query, errors);
  if (!errors.empty())
    return validation_failed(std::move(errors), req.request_id);
  return respond_from_query(self, cfg.pool, "orders.list", list_orders_statement(filter), req.request_id, "",
                                  [filter, route = req.route, query = req.query](const pg_rows& rows) {
                                    auto page = listed_orders(rows);
                                    auto items = nlohmann::json::array();
                                    for (const auto& o : page.items)
                                      items.push_back(to_json(o));
                                    return list_page_response(route, query, items, filter.page, page.total);
                                  });
}

caf::result<http::response> get(self_pointer self, const orders_actor_config& cfg, std::int64_t id,
                                const api_request& req) {
  return respond_from_query(self, cfg.pool, "orders.get", find_order_statement(id), req.request_id, "",
                                  [rid = req.request_id,
                                   if_none_match = req.if_none_match](const pg_rows& rows) {
                                    auto found = found_order(rows);
                                    return found ? unless_not_modified(order_response(*found), if_none_match)
                                                 : not_found(rid);
                                  });
}

caf::result<http::response> update(self_pointer self, const orders_actor_config& cfg,
                                   std::int64_t id, const api_request& req) {
  auto body = parse_json_body(req);
  if (auto* error = std::get_if<http::response>(&body))
    return std::move(*error);
  auto checked = validate_order_update(std::get<nlohmann::json>(body), top_level_number_texts(req.body));
  if (auto* errors = std::get_if<field_errors>(&checked))
    return validation_failed(std::move(*errors), req.request_id);
  auto precondition = parse_if_match(req.if_match ? &*req.if_match : nullptr);
  return respond_from_database(
    self, cfg.pool, "orders.update", req.request_id, "",
    [id, patch = std::get<order_patch>(std::move(checked)), precondition,
     rid = req.request_id](pqxx::transaction_base& tx) {
      if (patch.empty() && !precondition.required) {
        auto found = find_order(tx, id);
        return found ? order_response(*found) : not_found(rid);
      }
      auto result = update_order(tx, id, patch, precondition);
      if (result.outcome == write_outcome::refused)
        return http::error_response(http::error_code::conflict,
                                    "order status cannot change from " + result.value.status + " to " +
                                      patch.status.value_or(""),
                                    rid);
      if (result.outcome != write_outcome::done)
        return write_refused(result.outcome, "order", rid);
      return order_response(result.value);
    });
}

caf::result<http::response> remove(self_pointer self, const orders_actor_config& cfg,
                                   std::int64_t id, const api_request& req) {
  auto precondition = parse_if_match(req.if_match ? &*req.if_match : nullptr);
  return respond_from_database(self, cfg.pool, "orders.delete", req.request_id, "",
                                  [id, precondition, rid = req.request_id](pqxx::transaction_base& tx) {
                                    auto result = soft_delete_order(tx, id, precondition);
                                    if (result.outcome != write_outcome::done)
                                      return write_refused(result.outcome, "order", rid);
                                    return http::no_content_response();
                                  });
}

resource_actor::behavior_type orders_actor(self_pointer self, orders_actor_config cfg) {
  return {
    [=](handle_atom, api_request& req) {
      return dispatch_collection(
        req, "order", [&](api_request& r) { return create(self, cfg, r); },
        [&](api_request& r) { return list(self, cfg, r); },
        [&](std::int64_t id, api_request& r) { return get(self, cfg, id, r); },
        [&](std::int64_t id, api_request& r) { return update(self, cfg, id, r); },
        [&](std::int64_t id, api_request& r) { return remove(self, cfg, id, r); });
    },
  };
}

}  // namespace

resource_actor spawn_orders_actor(caf::actor_system& sys, orders_actor_config config) {
  return sys.spawn(orders_actor, std::move(config));
}

}  // namespace svc
