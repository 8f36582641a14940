#include "domain/order.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "domain/money.hpp"

namespace svc {
namespace {

std::optional<std::int64_t> price_field(const nlohmann::json& body,
                                        const std::map<std::string, std::string>& numbers,
                                        bool required, field_errors& errors) {
  auto it = body.find("price");
  if (it == body.end() || it->is_null()) {
    if (required)
      errors.push_back({"price", "is required"});
    return std::nullopt;
  }
  const char* rule =
    "must be a number greater than 0 and at most 1000000 with at most two decimals";
  auto text = numbers.find("price");
  if (!it->is_number() || text == numbers.end()) {
    errors.push_back({"price", rule});
    return std::nullopt;
  }
  auto cents = parse_cents(text->second);
  if (!cents || *cents <= 0 || *cents > max_price_cents) {
    errors.push_back({"price", rule});
    return std::nullopt;
  }
  return cents;
}

}  // namespace

const std::vector<std::string_view>& order_statuses() {
  static const std::vector<std::string_view> statuses{"pending", "confirmed", "shipped",
                                                      "delivered", "cancelled"};
  return statuses;
}

const std::vector<std::pair<std::string_view, std::string_view>>& order_status_transitions() {
  static const std::vector<std::pair<std::string_view, std::string_view>> transitions{
    {"pending", "confirmed"}, {"confirmed", "shipped"},   {"shipped", "delivered"},
    {"pending", "cancelled"}, {"confirmed", "cancelled"},
  };
  return transitions;
}

bool status_change_allowed(std::string_view from, std::string_view to) {
  if (from == to)
    return true;
  const auto& all = order_status_transitions();
  return std::find(all.begin(), all.end(), std::pair{from, to}) != all.end();
}

// Built field by field, as to_json(user) is (domain/user.cpp says why).
nlohmann::json to_json(const order& o) {
  nlohmann::json j(nlohmann::json::value_t::object);
  j["id"] = o.id;
  j["user_id"] = o.user_id;
  j["product_name"] = o.product_name;
  j["quantity"] = o.quantity;
  j["price"] = cents_to_json_number(o.price_cents);
  j["total_amount"] = cents_to_json_number(o.total_cents);
  j["status"] = o.status;
  j["user_validated"] = o.user_check == user_checks::validated;
  j["user_check"] = o.user_check;
  j["created_at"] = o.created_at;
  j["updated_at"] = o.updated_at;
  return j;
}

validated<order_draft> validate_order_create(const nlohmann::json& body,
                                             const std::map<std::string, std::string>& numbers) {
  field_errors errors;
  auto user_id = integer_field(body, "user_id", 1, INT64_MAX, true, errors);
  auto product = string_field(body, "product_name", 1, 200, true, errors);
  auto quantity = integer_field(body, "quantity", 1, 10000, true, errors);
  auto price = price_field(body, numbers, true, errors);
  auto status = enum_field(body, "status", order_statuses(), errors);
  if (!errors.empty())
    return errors;
  order_draft draft{*user_id, std::move(*product), *quantity, *price};
  if (status)
    draft.status = std::move(*status);
  return draft;
}

validated<order_patch> validate_order_update(const nlohmann::json& body,
                                             const std::map<std::string, std::string>& numbers) {
  field_errors errors;
  order_patch patch;
  if (body.contains("user_id"))
    errors.push_back({"user_id", "cannot be changed"});
  if (body.contains("product_name"))
    patch.product_name = string_field(body, "product_name", 1, 200, true, errors);
  if (body.contains("quantity"))
    patch.quantity = integer_field(body, "quantity", 1, 10000, true, errors);
  if (body.contains("price"))
    patch.price_cents = price_field(body, numbers, true, errors);
  if (body.contains("status")) {
    patch.status = enum_field(body, "status", order_statuses(), errors);
    if (!patch.status && body.at("status").is_null())
      errors.push_back({"status", "is required"});
  }
  if (!errors.empty())
    return errors;
  return patch;
}

}  // namespace svc
