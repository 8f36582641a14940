// The order resource: its stored shape, what a client may send, and the rules.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "domain/field_rules.hpp"
#include "domain/user.hpp"  // validated<T>

namespace svc {

struct order {
  std::int64_t id = 0;
  std::int64_t user_id = 0;
  std::string product_name;
  std::int64_t quantity = 0;
  std::int64_t price_cents = 0;
  std::int64_t total_cents = 0;
  std::string status;
  std::string user_check = "pending";  // one of user_checks::*
  std::string created_at;
  std::string updated_at;
  std::int64_t version = 1;
};

// What is known of an order's user: user-service said it exists, could not be
// asked yet (a reconciler asks again later), or said later that it does not.
namespace user_checks {
inline constexpr std::string_view validated = "validated";
inline constexpr std::string_view pending = "pending";
inline constexpr std::string_view user_not_found = "user_not_found";
}  // namespace user_checks

// The API shows user_check, and user_validated (true exactly when validated).
nlohmann::json to_json(const order& o);

const std::vector<std::string_view>& order_statuses();

// The status lifecycle, as (from, to) pairs: pending -> confirmed -> shipped ->
// delivered, and cancelled from pending or confirmed; nothing leaves delivered or
// cancelled.
const std::vector<std::pair<std::string_view, std::string_view>>& order_status_transitions();

// True for a listed transition, and for keeping the status it has (no change).
bool status_change_allowed(std::string_view from, std::string_view to);

inline constexpr std::int64_t max_price_cents = 100'000'000;  // 1 000 000.00

struct order_draft {
  std::int64_t user_id = 0;
  std::string product_name;
  std::int64_t quantity = 0;
  std::int64_t price_cents = 0;
  std::string status = "pending";

  std::int64_t total_cents() const { return quantity * price_cents; }
};

struct order_patch {
  std::optional<std::string> product_name;
  std::optional<std::int64_t> quantity;
  std::optional<std::int64_t> price_cents;
  std::optional<std::string> status;

  bool empty() const { return !product_name && !quantity && !price_cents && !status; }
};

// `numbers` holds the raw text of the body's top-level numbers
// (top_level_number_texts), so that the price is read exactly.
validated<order_draft> validate_order_create(const nlohmann::json& body,
                                             const std::map<std::string, std::string>& numbers);
validated<order_patch> validate_order_update(const nlohmann::json& body,
                                             const std::map<std::string, std::string>& numbers);

}  // namespace svc
