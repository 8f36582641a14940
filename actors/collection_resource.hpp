// The collection resource, written once: create, list, get, update and soft
// delete of one kind of item, with ETag / If-Match / If-None-Match,
// Idempotency-Key and Location, configured by a resource's rules. Included only
// by the files that hold a resource's rules (actors/users_actor.cpp,
// actors/orders_actor.cpp): adding a resource is one such file and its routes.
//
// A Rules type provides:
//   using item        the resource (with .id and .version);
//   using draft       a validated create;
//   using patch       a validated update (with .empty());
//   using insertable  what the insert statement takes (the draft, or the draft and
//                     more that prepare_insert found out);
//   static constexpr std::string_view noun;          // "user": messages, bad path id
//   static constexpr collection_operations operations;
//   db_pool_actor pool;
//   std::string_view conflict_message() const;       // a unique rule broken ("" if none)
//   const collection_table& table() const;
//   nlohmann::json to_json(const item&) const;
//   std::variant<draft, field_errors> validate_create(const nlohmann::json&, const api_request&) const;
//   std::variant<patch, field_errors> validate_update(const nlohmann::json&, const api_request&) const;
//   db_statement list_statement(const api_request&, const page_request&, field_errors&) const;
//   std::vector<item> listed(const pg_rows&) const;
//   db_statement find_statement(std::int64_t id) const;  std::optional<item> found(const pg_rows&) const;
//   db_statement update_statement(std::int64_t, const patch&, const version_precondition&) const;
//   write_result<item> updated(const pg_rows&) const;
//   std::string refusal(const std::string& current_status, const patch&) const;  // a rule's 409
//   db_statement insert_statement(const insertable&) const;  item inserted(const pg_rows&) const;
//   item insert_in(pqxx::transaction_base&, const insertable&) const;  // with Idempotency-Key
//   void prepare_insert(resource_actor::pointer, create_pointer<draft>,
//                       std::function<void(std::variant<insertable, http::response>)> next) const;
#pragma once

#include <functional>
#include <memory>
#include <variant>
#include <vector>

#include <caf/typed_event_based_actor.hpp>
#include <nlohmann/json.hpp>

#include "actors/resource_actor.hpp"
#include "http/envelope.hpp"
#include "persistence/collection_table.hpp"
#include "persistence/idempotency.hpp"
#include "persistence/paged_list.hpp"
#include "persistence/pg_rows.hpp"

namespace svc {

// The names of a resource's database operations (metrics, logs); static strings.
struct collection_operations {
  const char* create;
  const char* list;
  const char* get;
  const char* update;
  const char* remove;
};

// A create between its steps: the validated draft and what its answer needs.
template <class Draft>
struct create_request {
  Draft draft;
  std::optional<std::string> idempotency_key;
  std::string fingerprint;   // idempotency_fingerprint of the body
  log::request_scope scope;  // the request's ids, for its answers and log lines
  std::string collection;    // the route, e.g. "/api/v1/users": Location, the key's scope
  http::trace_context trace;

  std::string idempotency_scope() const { return "POST " + collection; }
};
template <class Draft>
using create_pointer = std::shared_ptr<const create_request<Draft>>;

// Runs the operation of a collection resource's request (`/things` and
// `/things/{id}`) under `guarded`. A path id that is not a positive integer is a 400.
template <class Create, class List, class Get, class Update, class Remove>
caf::result<http::response> dispatch_collection(api_request& req, std::string_view noun,
                                                Create create, List list, Get get, Update update,
                                                Remove remove) {
  return guarded(req, [&]() -> caf::result<http::response> {
    if (req.operation == collection_operation::create)
      return create(req);
    if (req.operation == collection_operation::list)
      return list(req);
    const auto* raw_id = req.path_param("id");
    auto id = raw_id ? parse_path_id(*raw_id) : std::nullopt;
    if (!id)
      return bad_path_id_response(noun, req.request_id);
    switch (req.operation) {
      case collection_operation::get: return get(*id, req);
      case collection_operation::update: return update(*id, req);
      default: return remove(*id, req);
    }
  });
}

template <class Rules>
class collection_resource {
public:
  using self_pointer = resource_actor::pointer;
  using item = typename Rules::item;
  using promise_type = caf::typed_response_promise<http::response>;

  collection_resource(self_pointer self, Rules rules)
      : self_(self), rules_(std::make_shared<const Rules>(std::move(rules))) {}

  caf::result<http::response> handle(api_request& req) const {
    return dispatch_collection(
      req, Rules::noun, [&](api_request& r) { return create(r); },
      [&](api_request& r) { return list(r); },
      [&](std::int64_t id, api_request& r) { return get(id, r); },
      [&](std::int64_t id, api_request& r) { return update(id, r); },
      [&](std::int64_t id, api_request& r) { return remove(id, r); });
  }

private:
  static http::response item_response(const Rules& rules, const item& it, unsigned status = 200) {
    return with_etag(http::ok_response(rules.to_json(it), status), it.version);
  }

  caf::result<http::response> create(api_request& req) const {
    if (auto rejected = reject_bad_idempotency_key(req))
      return std::move(*rejected);
    auto body = parse_json_body(req);
    if (auto* error = std::get_if<http::response>(&body))
      return std::move(*error);
    const auto& json = std::get<nlohmann::json>(body);
    auto checked = rules_->validate_create(json, req);
    if (auto* errors = std::get_if<field_errors>(&checked))
      return validation_failed(*errors, req.request_id);
    using draft = typename Rules::draft;
    auto c = std::make_shared<const create_request<draft>>(
      create_request<draft>{std::get<draft>(std::move(checked)), req.idempotency_key,
                            idempotency_fingerprint(json), req.log_scope(), req.route, req.trace});
    auto promise = self_->make_response_promise<http::response>();
    rules_->prepare_insert(
      self_, c,
      [self = self_, rules = rules_, c,
       promise](std::variant<typename Rules::insertable, http::response> next) mutable {
        if (auto* answer = std::get_if<http::response>(&next))
          promise.deliver(std::move(*answer));
        else
          insert(self, rules, c, std::get<0>(std::move(next)), std::move(promise));
      });
    return promise;
  }

  // Without a key the insert is the only statement, pipelined; with one, the
  // key's record and the item are written in one transaction.
  static void insert(self_pointer self, std::shared_ptr<const Rules> rules,
                     create_pointer<typename Rules::draft> c, typename Rules::insertable row,
                     promise_type promise) {
    const auto& ops = Rules::operations;
    if (!c->idempotency_key) {
      deliver_from_query(
        self, rules->pool, ops.create, rules->insert_statement(row), c->scope,
        rules->conflict_message(),
        [rules, c](const pg_rows& rows) {
          const auto created = rules->inserted(rows);
          return with_location(item_response(*rules, created, 201), c->collection, created.id);
        },
        std::move(promise));
      return;
    }
    deliver_from_database(
      self, rules->pool, ops.create, c->scope, rules->conflict_message(),
      [rules, c, row = std::move(row)](pqxx::transaction_base& tx) {
        const auto key_scope = c->idempotency_scope();
        if (auto earlier = idempotent_answer(
              begin_idempotent(tx, key_scope, *c->idempotency_key, c->fingerprint),
              c->scope.request_id()))
          return with_location(std::move(*earlier), c->collection);
        const auto inserted = rules->insert_in(tx, row);
        auto created = with_location(item_response(*rules, inserted, 201), c->collection,
                                     inserted.id);
        record_idempotent(tx, key_scope, *c->idempotency_key, c->fingerprint, to_stored(created));
        return created;
      },
      std::move(promise));
  }

  caf::result<http::response> list(const api_request& req) const {
    field_errors errors;
    auto page = parse_page(req.query, errors);
    auto statement = rules_->list_statement(req, page, errors);
    if (!errors.empty())
      return validation_failed(errors, req.request_id);
    return respond_from_query(
      self_, rules_->pool, Rules::operations.list, std::move(statement), req.log_scope(), "",
      [rules = rules_, page, route = req.route, query = req.query](const pg_rows& rows) {
        auto items = nlohmann::json::array();
        for (const auto& it : rules->listed(rows))
          items.push_back(rules->to_json(it));
        return list_page_response(route, query, items, page, page_total(rows));
      });
  }

  caf::result<http::response> get(std::int64_t id, const api_request& req) const {
    return find(id, req.log_scope(), req.if_none_match);
  }

  caf::result<http::response> find(std::int64_t id, log::request_scope scope,
                                   const std::optional<std::string>& if_none_match) const {
    auto rid = scope.request_id();
    return respond_from_query(
      self_, rules_->pool, Rules::operations.get, rules_->find_statement(id), std::move(scope), "",
      [rules = rules_, rid = std::move(rid), if_none_match](const pg_rows& rows) {
        auto found = rules->found(rows);
        return found ? unless_not_modified(item_response(*rules, *found), if_none_match)
                     : write_refused(write_outcome::not_found, Rules::noun, rid);
      });
  }

  caf::result<http::response> update(std::int64_t id, const api_request& req) const {
    auto body = parse_json_body(req);
    if (auto* error = std::get_if<http::response>(&body))
      return std::move(*error);
    using patch_type = typename Rules::patch;
    auto checked = rules_->validate_update(std::get<nlohmann::json>(body), req);
    if (auto* errors = std::get_if<field_errors>(&checked))
      return validation_failed(*errors, req.request_id);
    auto patch = std::get<patch_type>(std::move(checked));
    auto precondition = parse_if_match(req.if_match ? &*req.if_match : nullptr);
    if (patch.empty() && !precondition.required)
      return find(id, req.log_scope(), std::nullopt);  // nothing to change: the item as it is
    return respond_from_query(self_, rules_->pool, Rules::operations.update,
                              rules_->update_statement(id, patch, precondition), req.log_scope(),
                              rules_->conflict_message(),
                              [rules = rules_, patch, rid = req.request_id](const pg_rows& rows) {
                                auto result = rules->updated(rows);
                                if (result.outcome == write_outcome::done)
                                  return item_response(*rules, result.value);
                                if (result.outcome == write_outcome::refused)
                                  return http::error_response(
                                    http::error_code::conflict,
                                    rules->refusal(result.current_status, patch), rid);
                                return write_refused(result.outcome, Rules::noun, rid);
                              });
  }

  caf::result<http::response> remove(std::int64_t id, const api_request& req) const {
    auto precondition = parse_if_match(req.if_match ? &*req.if_match : nullptr);
    return respond_from_query(self_, rules_->pool, Rules::operations.remove,
                              delete_statement(rules_->table(), id, precondition), req.log_scope(),
                              "", [rid = req.request_id](const pg_rows& rows) {
                                auto result = written(rows);
                                return result.outcome == write_outcome::done
                                         ? http::no_content_response()
                                         : write_refused(result.outcome, Rules::noun, rid);
                              });
  }

  self_pointer self_;
  std::shared_ptr<const Rules> rules_;
};

// The behaviour of a collection resource's actor.
template <class Rules>
resource_actor::behavior_type collection_behavior(resource_actor::pointer self, Rules rules) {
  collection_resource<Rules> resource{self, std::move(rules)};
  return {
    [resource](handle_atom, api_request& req) { return resource.handle(req); },
  };
}

}  // namespace svc
