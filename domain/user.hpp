// The user resource: its stored shape, what a client may send, and the rules.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "domain/field_rules.hpp"

namespace svc {

struct user {
  std::int64_t id = 0;
  std::string name;
  std::string email;  // stored lower-case
  std::optional<std::int64_t> age;
  std::string status;
  std::string created_at;  // RFC 3339, UTC
  std::string updated_at;
  std::int64_t version = 1;
};

nlohmann::json to_json(const user& u);

const std::vector<std::string_view>& user_statuses();

// A validated create request.
struct user_draft {
  std::string name;
  std::string email;
  std::optional<std::int64_t> age;
  std::string status = "active";
};

// A validated partial update: absent fields stay as they are. `age` distinguishes
// "not sent" (nullopt) from "set to null" (optional holding nullopt).
struct user_patch {
  std::optional<std::string> name;
  std::optional<std::string> email;
  std::optional<std::optional<std::int64_t>> age;
  std::optional<std::string> status;

  bool empty() const { return !name && !email && !age && !status; }
};

// Either the validated value or one error per offending field.
template <class T>
using validated = std::variant<T, field_errors>;

validated<user_draft> validate_user_create(const nlohmann::json& body);
validated<user_patch> validate_user_update(const nlohmann::json& body);

// Syntactic check of an e-mail address (RFC 5321 dot-atom local part, DNS domain).
bool is_valid_email(std::string_view email);

}  // namespace svc
