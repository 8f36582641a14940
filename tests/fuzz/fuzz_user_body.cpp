// Fuzz target: a request body for POST and PUT /api/v1/users. Input: the body
// bytes. They go through parse_json_object (as parse_json_body does), then
// validate_user_create and validate_user_update, and the results are checked
// against the contract's rules.
#include <algorithm>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "domain/user.hpp"
#include "domain/visible_text.hpp"
#include "field_error_checks.hpp"
#include "fuzz_check.hpp"
#include "json_depth.hpp"

namespace {

using namespace svc;
using nlohmann::json;

using svc::fuzz::check_errors;
using svc::fuzz::has_error;

const std::set<std::string> user_fields{"name", "email", "age", "status"};

void check_name(const std::string& name) {
  FUZZ_CHECK(trim_blank(name) == name && trim(name) == name, name);
  FUZZ_CHECK(visible_length(name) >= 2 && utf8_length(name) <= 100, name);
  FUZZ_CHECK(!has_control_chars(name) && !has_control_or_bidi(name), name);
}

void check_email(const std::string& email) {
  FUZZ_CHECK(is_valid_email(email) && email.size() <= 255, email);
  FUZZ_CHECK(std::none_of(email.begin(), email.end(), [](char c) { return c >= 'A' && c <= 'Z'; }),
             email);
}

void check_status(const std::string& status) {
  const auto& all = user_statuses();
  FUZZ_CHECK(std::find(all.begin(), all.end(), status) != all.end(), status);
}

void check_draft(const user_draft& d) {
  check_name(d.name);
  check_email(d.email);
  if (d.age)
    FUZZ_CHECK(*d.age >= 0 && *d.age <= 150);
  check_status(d.status);

  // What the service answers (to_json, dumped) must validate again to the same
  // draft: the stored user is a valid request.
  user u{1, d.name, d.email, d.age, d.status, "2024-01-01T00:00:00Z", "2024-01-01T00:00:00Z", 1};
  svc::json_problem problem;
  auto again = parse_json_object(to_json(u).dump(), problem);
  FUZZ_CHECK(again.has_value(), problem.message);
  auto checked = validate_user_create(*again);
  auto* d2 = std::get_if<user_draft>(&checked);
  FUZZ_CHECK(d2 != nullptr, d.email);
  FUZZ_CHECK(
    d2->name == d.name && d2->email == d.email && d2->age == d.age && d2->status == d.status,
    d.name);
}

void check_patch(const user_patch& p, const json& body) {
  FUZZ_CHECK(p.name.has_value() == body.contains("name"));
  FUZZ_CHECK(p.email.has_value() == body.contains("email"));
  FUZZ_CHECK(p.age.has_value() == body.contains("age"));
  FUZZ_CHECK(p.status.has_value() == body.contains("status"));
  if (p.name)
    check_name(*p.name);
  if (p.email)
    check_email(*p.email);
  if (p.age && *p.age)
    FUZZ_CHECK(**p.age >= 0 && **p.age <= 150);
  if (p.age && !*p.age)
    FUZZ_CHECK(body.at("age").is_null());  // only an explicit null clears the age
  if (p.status)
    check_status(*p.status);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text{reinterpret_cast<const char*>(data), size};
  svc::json_problem problem;
  auto body = parse_json_object(text, problem);
  svc::fuzz::check_parse_json_object(text, body.has_value());
  if (!body) {
    FUZZ_CHECK(!problem.message.empty());
    return 0;
  }

  auto created = validate_user_create(*body);
  auto updated = validate_user_update(*body);
  const auto* create_errors = std::get_if<field_errors>(&created);
  const auto* update_errors = std::get_if<field_errors>(&updated);
  if (create_errors)
    check_errors(*create_errors, user_fields, text);
  else
    check_draft(std::get<user_draft>(created));
  if (update_errors)
    check_errors(*update_errors, user_fields, text);
  else
    check_patch(std::get<user_patch>(updated), *body);

  // "PUT: same rules as create": a field sent with a value is refused by both or by neither.
  for (const auto& field : user_fields) {
    auto it = body->find(field);
    if (it == body->end() || it->is_null())
      continue;
    bool create_refuses = create_errors && has_error(*create_errors, field);
    bool update_refuses = update_errors && has_error(*update_errors, field);
    FUZZ_CHECK(create_refuses == update_refuses, field);
  }
  return 0;
}
