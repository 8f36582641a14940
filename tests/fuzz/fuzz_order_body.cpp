// Fuzz target: a request body for POST and PUT /api/v1/orders, and money text.
// Input: the body bytes, validated the way orders_actor does it
// (parse_json_object, top_level_number_texts, validate_order_create/update).
// An input that does not start with '{' is also read as the text of a JSON
// number and parse_cents is compared with an independent exact reference.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "domain/money.hpp"
#include "domain/order.hpp"
#include "domain/visible_text.hpp"
#include "field_error_checks.hpp"
#include "fuzz_check.hpp"
#include "json_depth.hpp"

namespace {

using namespace svc;
using nlohmann::json;

using svc::fuzz::check_errors;
using svc::fuzz::has_error;

const std::set<std::string> order_fields{"user_id", "product_name", "quantity", "price", "status"};

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// parse_cents by the definition: digits[.digits][(e|E)[+][-]digits] with
// |exponent| <= 30, read as an exact decimal, whole cents from 0 to INT64_MAX.
// `long_mantissa` is set when the mantissa has 19 or more significant digits,
// which parse_cents may refuse (it accumulates into an int64).
std::optional<std::int64_t> reference_cents(std::string_view text, bool& long_mantissa) {
  std::string digits;
  int decimals = 0;
  bool seen_point = false;
  std::size_t i = 0;
  for (; i < text.size(); ++i) {
    if (text[i] == '.' && !seen_point)
      seen_point = true;
    else if (is_digit(text[i]))
      digits += text[i], decimals += seen_point;
    else
      break;
  }
  if (digits.empty())
    return std::nullopt;
  digits.erase(0, std::min(digits.find_first_not_of('0'), digits.size()));
  long_mantissa = digits.size() >= 19;
  int exponent = 0;
  if (i < text.size()) {
    if (text[i] != 'e' && text[i] != 'E')
      return std::nullopt;
    auto exp = text.substr(i + 1);
    if (!exp.empty() && exp.front() == '+')
      exp.remove_prefix(1);
    bool negative = !exp.empty() && exp.front() == '-';
    if (negative)
      exp.remove_prefix(1);
    if (exp.empty() || !std::all_of(exp.begin(), exp.end(), is_digit))
      return std::nullopt;
    exp.remove_prefix(std::min(exp.find_first_not_of('0'), exp.size()));
    if (exp.size() > 2)
      return std::nullopt;
    for (char c : exp)
      exponent = exponent * 10 + (c - '0');
    if (exponent > 30)
      return std::nullopt;
    exponent = negative ? -exponent : exponent;
  }
  if (digits.empty())
    return 0;
  int scale = exponent - decimals + 2;
  if (scale >= 0) {
    digits.append(static_cast<std::size_t>(scale), '0');
  } else {
    auto cut = static_cast<std::size_t>(-scale);
    if (cut >= digits.size() ||
        digits.find_first_not_of('0', digits.size() - cut) != std::string::npos)
      return std::nullopt;  // a third significant decimal
    digits.resize(digits.size() - cut);
  }
  if (digits.size() > 19 || (digits.size() == 19 && digits > "9223372036854775807"))
    return std::nullopt;
  std::int64_t value = 0;
  std::from_chars(digits.data(), digits.data() + digits.size(), value);
  return value;
}

void check_money_text(std::string_view text) {
  bool long_mantissa = false;
  auto expected = reference_cents(text, long_mantissa);
  auto got = parse_cents(text);
  std::string shown{text};
  if (got)
    FUZZ_CHECK(expected == got, shown);
  else
    FUZZ_CHECK(!expected || long_mantissa, shown);
}

// Cents -> "19.99" -> cents, and cents -> JSON number -> its text -> cents.
void check_money_round_trip(std::int64_t cents) {
  auto text = format_cents(cents);
  FUZZ_CHECK(parse_cents(text) == cents, text);
  auto dot = text.find('.');
  FUZZ_CHECK(dot != std::string::npos && dot + 3 == text.size(), text);
  auto body = json{{"amount", cents_to_json_number(cents)}}.dump();
  auto numbers = top_level_number_texts(body);
  FUZZ_CHECK(numbers.count("amount") == 1 && parse_cents(numbers["amount"]) == cents, body);
}

void check_product(const std::string& name) {
  FUZZ_CHECK(trim_blank(name) == name && trim(name) == name, name);
  FUZZ_CHECK(!has_control_chars(name) && !has_control_or_bidi(name), name);
  FUZZ_CHECK(visible_length(name) >= 1, name);
  FUZZ_CHECK(utf8_length(name) >= 1 && utf8_length(name) <= 200, name);
}

void check_status(const std::string& status) {
  const auto& all = order_statuses();
  FUZZ_CHECK(std::find(all.begin(), all.end(), status) != all.end(), status);
}

// The price kept must be the number the body holds (its DOM value agrees to
// within double precision), never another member's text.
void check_price(std::int64_t cents, const json& body) {
  FUZZ_CHECK(cents >= 1 && cents <= max_price_cents);
  double sent = body.at("price").get<double>();
  FUZZ_CHECK(
    std::fabs(sent * 100 - static_cast<double>(cents)) <= 1e-6 * static_cast<double>(cents),
    body.dump());
  check_money_round_trip(cents);
}

void check_draft(const order_draft& d, const json& body) {
  FUZZ_CHECK(d.user_id >= 1);
  check_product(d.product_name);
  FUZZ_CHECK(d.quantity >= 1 && d.quantity <= 10000);
  check_price(d.price_cents, body);
  check_status(d.status);
  check_money_round_trip(d.total_cents());

  // The order as the service answers it validates again to the same draft.
  order o{1,
          d.user_id,
          d.product_name,
          d.quantity,
          d.price_cents,
          d.total_cents(),
          d.status,
          "validated",
          "",
          "",
          1};
  auto answer = to_json(o).dump();
  svc::json_problem problem;
  auto again = parse_json_object(answer, problem);
  FUZZ_CHECK(again.has_value(), problem.message);
  auto checked = validate_order_create(*again, top_level_number_texts(answer));
  auto* d2 = std::get_if<order_draft>(&checked);
  FUZZ_CHECK(d2 != nullptr, answer);
  FUZZ_CHECK(d2->user_id == d.user_id && d2->product_name == d.product_name &&
               d2->quantity == d.quantity && d2->price_cents == d.price_cents &&
               d2->status == d.status,
             answer);
  auto numbers = top_level_number_texts(answer);
  FUZZ_CHECK(parse_cents(numbers["total_amount"]) == d.total_cents(), answer);
}

void check_patch(const order_patch& p, const json& body) {
  FUZZ_CHECK(!body.contains("user_id"));
  FUZZ_CHECK(p.product_name.has_value() == body.contains("product_name"));
  FUZZ_CHECK(p.quantity.has_value() == body.contains("quantity"));
  FUZZ_CHECK(p.price_cents.has_value() == body.contains("price"));
  FUZZ_CHECK(p.status.has_value() == body.contains("status"));
  if (p.product_name)
    check_product(*p.product_name);
  if (p.quantity)
    FUZZ_CHECK(*p.quantity >= 1 && *p.quantity <= 10000);
  if (p.price_cents)
    check_price(*p.price_cents, body);
  if (p.status)
    check_status(*p.status);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text{reinterpret_cast<const char*>(data), size};
  auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos || text[first] != '{') {
    if (size <= 64)
      check_money_text(text);
  }

  svc::json_problem problem;
  auto body = parse_json_object(text, problem);
  svc::fuzz::check_parse_json_object(text, body.has_value());
  if (!body) {
    FUZZ_CHECK(!problem.message.empty());
    return 0;
  }
  auto numbers = top_level_number_texts(text);
  auto created = validate_order_create(*body, numbers);
  auto updated = validate_order_update(*body, numbers);
  const auto* create_errors = std::get_if<field_errors>(&created);
  const auto* update_errors = std::get_if<field_errors>(&updated);
  if (create_errors)
    check_errors(*create_errors, order_fields, text);
  else
    check_draft(std::get<order_draft>(created), *body);
  if (update_errors)
    check_errors(*update_errors, order_fields, text);
  else
    check_patch(std::get<order_patch>(updated), *body);

  if (body->contains("user_id"))
    FUZZ_CHECK(update_errors && has_error(*update_errors, "user_id"), text);
  // "PUT: the same rules": a field sent with a value is refused by both or by neither.
  for (const auto& field : order_fields) {
    auto it = body->find(field);
    if (field == "user_id" || it == body->end() || it->is_null())
      continue;
    bool create_refuses = create_errors && has_error(*create_errors, field);
    bool update_refuses = update_errors && has_error(*update_errors, field);
    FUZZ_CHECK(create_refuses == update_refuses, field);
  }
  return 0;
}
