#include "actors/users_actor.hpp"

#include <caf/actor_system.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "domain/user.hpp"
#include "http/envelope.hpp"
#include "persistence/idempotency.hpp"
#include "persistence/users_repository.hpp"

namespace svc {
namespace {

constexpr std::string_view create_scope = "POST /api/v1/users";
constexpr std::string_view email_taken = "a user with this email already exists";

using self_pointer = resource_actor::pointer;

http::response user_response(const user& u, unsigned status = 200) {
  return with_etag(http::ok_response(to_json(u), status), u.version);
}

http::response not_found(std::string_view request_id) {
  return write_refused(write_outcome::not_found, "user", request_id);
}

caf::result<http::response> create(self_pointer self, const db_pool_actor& pool, api_request& req) {
  if (auto rejected = reject_bad_idempotency_key(req))
    return std::move(*rejected);
  auto body = parse_json_body(req);
  if (auto* error = std::get_if<http::response>(&body))
    return std::move(*error);
  auto checked = validate_user_create(std::get<nlohmann::json>(body));
  if (auto* errors = std::get_if<field_errors>(&checked))
    return validation_failed(std::move(*errors), req.request_id);
  auto draft = std::get<user_draft>(std::move(checked));
  // Without a key the insert is the only statement, pipelined; with one, the
  // key's row and the user are written in one transaction.
  if (!req.idempotency_key)
    return respond_from_query(self, pool, "users.create", insert_user_statement(draft), req.request_id,
                              email_taken, [collection = req.route](const pg_rows& rows) {
                                return with_location(user_response(inserted_user(rows), 201), collection);
                              });
  return respond_from_database(
    self, pool, "users.create", req.request_id, email_taken,
    [draft = std::move(draft), key = req.idempotency_key,
     raw = idempotency_fingerprint(std::get<nlohmann::json>(body)), rid = req.request_id,
     collection = req.route](pqxx::transaction_base& tx) {
      if (auto earlier = idempotent_answer(begin_idempotent(tx, create_scope, *key, raw), rid))
        return with_location(std::move(*earlier), collection);
      auto created = with_location(user_response(insert_user(tx, draft), 201), collection);
      record_idempotent(tx, create_scope, *key, raw, to_stored(created));
      return created;
    });
}

caf::result<http::response> list(self_pointer self, const db_pool_actor& pool, api_request& req) {
  field_errors errors;
  user_filter filter;
  filter.page = parse_page(req.query, errors);
  filter.status = parse_enum_param(req.query, "status", user_statuses(), errors);
  filter.search = parse_search(req.query, errors);
  if (!errors.empty())
    return validation_failed(std::move(errors), req.request_id);
  return respond_from_query(self, pool, "users.list", list_users_statement(filter), req.request_id, "",
                            [filter, route = req.route, query = std::move(req.query)](const pg_rows& rows) {
                              auto page = listed_users(rows);
                              auto items = nlohmann::json::array();
                              for (const auto& u : page.items)
                                items.push_back(to_json(u));
                              return list_page_response(route, query, items, filter.page, page.total);
                            });
}

caf::result<http::response> get(self_pointer self, const db_pool_actor& pool, std::int64_t id,
                                const api_request& req) {
  return respond_from_query(self, pool, "users.get", find_user_statement(id), req.request_id, "",
                            [rid = req.request_id, if_none_match = req.if_none_match](const pg_rows& rows) {
                              auto found = found_user(rows);
                              return found ? unless_not_modified(user_response(*found), if_none_match) : not_found(rid);
                            });
}

caf::result<http::response> update(self_pointer self, const db_pool_actor& pool, std::int64_t id,
                                   const api_request& req) {
  auto body = parse_json_body(req);
  if (auto* error = std::get_if<http::response>(&body))
    return std::move(*error);
  auto checked = validate_user_update(std::get<nlohmann::json>(body));
  if (auto* errors = std::get_if<field_errors>(&checked))
    return validation_failed(std::move(*errors), req.request_id);
  auto precondition = parse_if_match(req.if_match ? &*req.if_match : nullptr);
  return respond_from_database(
    self, pool, "users.update", req.request_id, email_taken,
    [id, patch = std::get<user_patch>(std::move(checked)), precondition,
     rid = req.request_id](pqxx::transaction_base& tx) {
      if (patch.empty() && !precondition.required) {
        auto found = find_user(tx, id);
        return found ? user_response(*found) : not_found(rid);
      }
      auto result = update_user(tx, id, patch, precondition);
      if (result.outcome != write_outcome::done)
        return write_refused(result.outcome, "user", rid);
      return user_response(result.value);
    });
}

caf::result<http::response> remove(self_pointer self, const db_pool_actor& pool, std::int64_t id,
                                   const api_request& req) {
  auto precondition = parse_if_match(req.if_match ? &*req.if_match : nullptr);
  return respond_from_database(self, pool, "users.delete", req.request_id, "",
                            [id, precondition, rid = req.request_id](pqxx::transaction_base& tx) {
                              auto result = soft_delete_user(tx, id, precondition);
                              if (result.outcome != write_outcome::done)
                                return write_refused(result.outcome, "user", rid);
                              return http::no_content_response();
                            });
}

resource_actor::behavior_type users_actor(self_pointer self, db_pool_actor pool) {
  return {
    [=](handle_atom, api_request& req) {
      return dispatch_collection(
        req, "user", [&](api_request& r) { return create(self, pool, r); },
        [&](api_request& r) { return list(self, pool, r); },
        [&](std::int64_t id, api_request& r) { return get(self, pool, id, r); },
        [&](std::int64_t id, api_request& r) { return update(self, pool, id, r); },
        [&](std::int64_t id, api_request& r) { return remove(self, pool, id, r); });
    },
  };
}

}  // namespace

resource_actor spawn_users_actor(caf::actor_system& sys, db_pool_actor pool) {
  return sys.spawn(users_actor, std::move(pool));
}

}  // namespace svc
