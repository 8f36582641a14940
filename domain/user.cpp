#include "domain/user.hpp"

#include <algorithm>
#include <cctype>

#include <nlohmann/json.hpp>

namespace svc {
namespace {

constexpr std::size_t max_email_length = 255;

std::string to_lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool is_atext(unsigned char c) {
  static constexpr std::string_view specials = "!#$%&'*+/=?^_`{|}~-";
  return std::isalnum(c) || specials.find(static_cast<char>(c)) != std::string_view::npos;
}

bool is_valid_local_part(std::string_view local) {
  if (local.empty() || local.size() > 64 || local.front() == '.' || local.back() == '.')
    return false;
  char prev = 0;
  for (char c : local) {
    if (c == '.' ? prev == '.' : !is_atext(static_cast<unsigned char>(c)))
      return false;
    prev = c;
  }
  return true;
}

bool is_valid_domain(std::string_view domain) {
  if (domain.empty() || domain.size() > 253)
    return false;
  std::size_t labels = 0;
  std::string_view last;
  while (!domain.empty()) {
    auto dot = domain.find('.');
    auto label = domain.substr(0, dot);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-')
      return false;
    for (unsigned char c : label)
      if (!std::isalnum(c) && c != '-')
        return false;
    ++labels;
    last = label;
    if (dot == std::string_view::npos)
      break;
    domain.remove_prefix(dot + 1);
    if (domain.empty())
      return false;  // trailing dot
  }
  return labels >= 2 && last.size() >= 2 &&
         std::all_of(last.begin(), last.end(), [](unsigned char c) { return std::isalpha(c); });
}

std::optional<std::string> email_field(const nlohmann::json& body, bool required,
                                       field_errors& errors) {
  auto value = string_field(body, "email", 1, max_email_length, required, errors);
  if (!value)
    return std::nullopt;
  if (!is_valid_email(*value)) {
    errors.push_back({"email", "must be a valid email address"});
    return std::nullopt;
  }
  return to_lower(std::move(*value));
}

}  // namespace

const std::vector<std::string_view>& user_statuses() {
  static const std::vector<std::string_view> statuses{"active", "inactive"};
  return statuses;
}

bool is_valid_email(std::string_view email) {
  auto at = email.rfind('@');
  if (at == std::string_view::npos || email.size() > max_email_length)
    return false;
  return is_valid_local_part(email.substr(0, at)) && is_valid_domain(email.substr(at + 1));
}

// Built field by field: nlohmann's initializer-list form makes a two-element
// array per field first, about three allocations more per field on every read.
nlohmann::json to_json(const user& u) {
  nlohmann::json j(nlohmann::json::value_t::object);
  j["id"] = u.id;
  j["name"] = u.name;
  j["email"] = u.email;
  j["age"] = u.age ? nlohmann::json(*u.age) : nlohmann::json(nullptr);
  j["status"] = u.status;
  j["created_at"] = u.created_at;
  j["updated_at"] = u.updated_at;
  return j;
}

validated<user_draft> validate_user_create(const nlohmann::json& body) {
  field_errors errors;
  user_draft draft;
  auto name = string_field(body, "name", 2, 100, true, errors);
  auto email = email_field(body, true, errors);
  auto age = integer_field(body, "age", 0, 150, false, errors);
  auto status = enum_field(body, "status", user_statuses(), errors);
  if (!errors.empty())
    return errors;
  draft.name = std::move(*name);
  draft.email = std::move(*email);
  draft.age = age;
  if (status)
    draft.status = std::move(*status);
  return draft;
}

validated<user_patch> validate_user_update(const nlohmann::json& body) {
  field_errors errors;
  user_patch patch;
  if (body.contains("name"))
    patch.name = string_field(body, "name", 2, 100, true, errors);
  if (body.contains("email"))
    patch.email = email_field(body, true, errors);
  if (body.contains("age"))
    patch.age = integer_field(body, "age", 0, 150, false, errors);
  if (body.contains("status")) {
    patch.status = enum_field(body, "status", user_statuses(), errors);
    if (!patch.status && body.at("status").is_null())
      errors.push_back({"status", "must be one of: active, inactive"});
  }
  if (!errors.empty())
    return errors;
  return patch;
}

}  // namespace svc
