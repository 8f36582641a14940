// The users resource's own rules; the rest is the collection resource's
// (actors/collection_resource.hpp).
#include "actors/users_actor.hpp"

#include <caf/actor_system.hpp>

#include "actors/collection_resource.hpp"
#include "domain/user.hpp"
#include "persistence/users_repository.hpp"

namespace svc {
namespace {

struct user_rules {
  using item = user;
  using draft = user_draft;
  using patch = user_patch;
  using insertable = user_draft;
  static constexpr std::string_view noun = "user";
  static constexpr collection_operations operations{"users.create", "users.list", "users.get",
                                                    "users.update", "users.delete"};

  db_pool_actor pool;

  std::string_view conflict_message() const { return "a user with this email already exists"; }
  const collection_table& table() const { return users_table(); }
  nlohmann::json to_json(const user& u) const { return svc::to_json(u); }

  std::variant<user_draft, field_errors> validate_create(const nlohmann::json& body,
                                                         const api_request&) const {
    return validate_user_create(body);
  }
  std::variant<user_patch, field_errors> validate_update(const nlohmann::json& body,
                                                         const api_request&) const {
    return validate_user_update(body);
  }

  db_statement list_statement(const api_request& req, const page_request& page,
                              field_errors& errors) const {
    user_filter filter;
    filter.page = page;
    filter.status = parse_enum_param(req.query, "status", user_statuses(), errors);
    filter.search = parse_search(req.query, errors);
    return list_users_statement(filter);
  }
  std::vector<user> listed(const pg_rows& rows) const { return listed_users(rows).items; }

  db_statement find_statement(std::int64_t id) const { return find_user_statement(id); }
  std::optional<user> found(const pg_rows& rows) const { return found_user(rows); }

  db_statement update_statement(std::int64_t id, const user_patch& p,
                                const version_precondition& pre) const {
    return update_user_statement(id, p, pre);
  }
  write_result<user> updated(const pg_rows& rows) const { return updated_user(rows); }
  std::string refusal(const std::string&, const user_patch&) const {
    return "the user cannot be changed that way";
  }

  db_statement insert_statement(const user_draft& d) const { return insert_user_statement(d); }
  user inserted(const pg_rows& rows) const { return inserted_user(rows); }
  user insert_in(pqxx::transaction_base& tx, const user_draft& d) const {
    return insert_user(tx, d);
  }

  // A user needs nothing beyond its validated fields.
  void prepare_insert(
    resource_actor::pointer, const create_pointer<user_draft>& c,
    const std::function<void(std::variant<user_draft, http::response>)>& next) const {
    next(c->draft);
  }
};

}  // namespace

resource_actor spawn_users_actor(caf::actor_system& sys, db_pool_actor pool) {
  return sys.spawn(collection_behavior<user_rules>, user_rules{std::move(pool)});
}

}  // namespace svc
