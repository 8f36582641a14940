#include "actors/resource_actor.hpp"

#include <pqxx/transaction>

#include "domain/ascii_text.hpp"
#include "http/envelope.hpp"
#include "http/page_links.hpp"

namespace svc {

http::response internal_error_response(std::string_view request_id) {
  return http::error_response(http::error_code::internal_error, "internal error", request_id);
}

http::response bad_path_id_response(std::string_view noun, std::string_view request_id) {
  return http::error_response(http::error_code::bad_request,
                              std::string{noun} + " id must be a positive integer", request_id);
}

http::response run_in_transaction(
  pqxx::connection_base& conn, const std::function<http::response(pqxx::transaction_base&)>& fn) {
  pqxx::work tx{conn};
  http::response resp = fn(tx);
  tx.commit();
  return resp;
}

http::response response_from_rows(const pg_rows& rows,
                                  const std::function<http::response(const pg_rows&)>& respond,
                                  std::string_view operation, const log::request_scope& scope) {
  try {
    return respond(rows);
  } catch (const std::exception& e) {
    log::error(scope, "unexpected rows from the database",
               {{"operation", operation}, {"error", mask_secrets(e.what())}});
  }
  return internal_error_response(scope.request_id());
}

std::optional<http::response> reject_non_json(const api_request& req) {
  // An absent Content-Type is tolerated (the body must still be JSON); a
  // different declared type is refused rather than guessed at.
  if (!req.content_type)
    return std::nullopt;
  std::string_view type = *req.content_type;
  type = type.substr(0, type.find(';'));
  while (!type.empty() && type.back() == ' ')
    type.remove_suffix(1);
  if (ascii_iequals(type, "application/json") ||
      (type.size() > 5 && ascii_iequals(type.substr(type.size() - 5), "+json")))
    return std::nullopt;
  return http::error_response(http::error_code::bad_request,
                              "Content-Type must be application/json", req.request_id);
}

std::optional<http::response> reject_bad_idempotency_key(const api_request& req) {
  if (!req.idempotency_key)
    return std::nullopt;
  const auto& key = *req.idempotency_key;
  bool printable = !key.empty() && key.size() <= 255;
  for (unsigned char c : key)
    printable = printable && c >= 0x21 && c <= 0x7E;
  if (printable)
    return std::nullopt;
  return http::error_response(http::error_code::bad_request,
                              "Idempotency-Key must be 1-255 printable ASCII characters",
                              req.request_id);
}

std::variant<nlohmann::json, http::response> parse_json_body(const api_request& req) {
  if (auto rejected = reject_non_json(req))
    return std::move(*rejected);
  json_problem problem;
  if (auto body = parse_json_object(req.body, problem))
    return std::move(*body);
  if (!problem.field.empty())
    return validation_failed({{problem.field, "must be a number within the field's range"}},
                             req.request_id);
  return http::error_response(http::error_code::bad_request, problem.message, req.request_id);
}

http::response with_etag(http::response resp, std::int64_t version) {
  resp.set_header("ETag", etag_for(version));
  return resp;
}

http::response with_location(http::response resp, std::string_view collection) {
  if (resp.status != 201)
    return resp;
  auto body = nlohmann::json::parse(resp.body, nullptr, false);
  if (auto* data = body.is_object() ? &body["data"] : nullptr; data && data->contains("id"))
    return with_location(std::move(resp), collection, (*data)["id"].get<std::int64_t>());
  return resp;
}

http::response with_location(http::response resp, std::string_view collection, std::int64_t id) {
  if (resp.status == 201)
    resp.set_header("Location", std::string{collection} + "/" + std::to_string(id));
  return resp;
}

http::response unless_not_modified(http::response resp,
                                   const std::optional<std::string>& if_none_match) {
  const auto* etag = resp.find_header("ETag");
  if (resp.status != 200 || !etag || !if_none_match || !if_none_match_hits(*if_none_match, *etag))
    return resp;
  http::response not_modified;
  not_modified.status = 304;
  not_modified.set_header("ETag", *etag);
  return not_modified;
}

http::response list_page_response(std::string_view route, const query_params& query,
                                  const nlohmann::json& items, const page_request& page,
                                  std::int64_t total) {
  auto resp = http::list_response(items, {page.page, page.page_size, total});
  resp.set_header("Link", http::page_links(route, query, page.page, page.page_size,
                                           http::total_pages(total, page.page_size)));
  return resp;
}

http::response validation_failed(const field_errors& errors, std::string_view request_id) {
  return http::error_response(http::error_code::validation_error, "invalid request", request_id,
                              errors);
}

http::response write_refused(write_outcome outcome, std::string_view resource,
                             std::string_view request_id) {
  switch (outcome) {
    case write_outcome::not_found:
      return http::error_response(http::error_code::not_found, std::string{resource} + " not found",
                                  request_id);
    case write_outcome::version_mismatch:
      return http::error_response(
        http::error_code::precondition_failed,
        "the " + std::string{resource} + " was modified by someone else (If-Match does not match)",
        request_id);
    case write_outcome::raced:
      return http::error_response(http::error_code::conflict,
                                  "the " + std::string{resource} +
                                    " was changed by another request at the same time; try again",
                                  request_id);
    case write_outcome::refused:
    case write_outcome::done: break;
  }
  return http::error_response(http::error_code::conflict,
                              "the " + std::string{resource} + " cannot be changed that way",
                              request_id);
}

std::optional<http::response> idempotent_answer(const idempotency_lookup& seen,
                                                std::string_view request_id) {
  if (seen.state == idempotency_state::fresh)
    return std::nullopt;
  if (seen.state == idempotency_state::mismatch)
    return http::error_response(http::error_code::conflict,
                                "Idempotency-Key was already used with a different body",
                                request_id);
  http::response replay;
  replay.status = seen.response.status;
  replay.body = seen.response.body;
  if (!seen.response.etag.empty())
    replay.set_header("ETag", seen.response.etag);
  replay.set_header("Idempotent-Replayed", "true");
  return replay;
}

stored_response to_stored(const http::response& resp) {
  auto* etag = resp.find_header("ETag");
  return {resp.status, resp.body, etag ? *etag : std::string{}};
}

std::string idempotency_fingerprint(const nlohmann::json& body) {
  return body.dump();  // nlohmann::json keeps members in a std::map: sorted by name
}

}  // namespace svc
