#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "domain/money.hpp"
#include "domain/order.hpp"

using namespace svc;
using nlohmann::json;

TEST(Money, ParsesDecimalTextExactly) {
  EXPECT_EQ(parse_cents("19.99"), 1999);
  EXPECT_EQ(parse_cents("20"), 2000);
  EXPECT_EQ(parse_cents("0.1"), 10);
  EXPECT_EQ(parse_cents("19.990"), 1999);  // trailing zeros add no precision
  EXPECT_EQ(parse_cents("1.5e1"), 1500);
  EXPECT_EQ(parse_cents("1E6"), 100000000);
  EXPECT_EQ(parse_cents("1234e-2"), 1234);
  EXPECT_FALSE(parse_cents("1234.5e-2"));  // 12.345
  EXPECT_FALSE(parse_cents("19.999"));
  EXPECT_FALSE(parse_cents("0.001"));
  EXPECT_FALSE(parse_cents("-1"));
  EXPECT_FALSE(parse_cents("abc"));
  EXPECT_FALSE(parse_cents("1e400"));
  EXPECT_FALSE(parse_cents("99999999999999999999999"));
  // Found by fuzz_order_body: the last digit overflowed int64 (UB, in practice a
  // negative amount). A price of 2^63 reaches this as an unsigned JSON integer.
  EXPECT_EQ(parse_cents("92233720368547758.07"), INT64_MAX);
  EXPECT_FALSE(parse_cents("92233720368547758.08"));
  EXPECT_FALSE(parse_cents("9223372036854775809"));
}

TEST(Money, FormatsAndPrintsBackExactly) {
  EXPECT_EQ(format_cents(1999), "19.99");
  EXPECT_EQ(format_cents(5), "0.05");
  EXPECT_EQ(format_cents(100000000), "1000000.00");
  // 3 x 0.1 is 0.30 exactly, not 0.30000000000000004.
  EXPECT_EQ(json(cents_to_json_number(3 * parse_cents("0.1").value())).dump(), "0.3");
  EXPECT_EQ(json(cents_to_json_number(10000LL * 99999999)).dump(), "9999999900.0");
  EXPECT_EQ(json(cents_to_json_number(123456789012LL)).dump(), "1234567890.12");
}

TEST(Money, FindsTheRawTextOfTopLevelNumbers) {
  auto numbers = top_level_number_texts(
    R"({"price": 19.99, "quantity": 3, "nested": {"price": 1.5}})");
  EXPECT_EQ(numbers["price"], "19.99");
  EXPECT_EQ(numbers["quantity"], "3");
}

TEST(OrderValidation, AcceptsAValidOrder) {
  std::string body = R"({"user_id": 7, "product_name": " Widget ", "quantity": 3, "price": 0.1})";
  auto v = validate_order_create(json::parse(body), top_level_number_texts(body));
  ASSERT_TRUE(std::holds_alternative<order_draft>(v));
  auto d = std::get<order_draft>(v);
  EXPECT_EQ(d.product_name, "Widget");
  EXPECT_EQ(d.price_cents, 10);
  EXPECT_EQ(d.total_cents(), 30);
  EXPECT_EQ(d.status, "pending");
}

TEST(OrderValidation, ReportsEveryOffendingField) {
  std::string body =
    R"({"user_id": 0, "product_name": "", "quantity": 10001, "price": 1.999, "status": "lost"})";
  auto v = validate_order_create(json::parse(body), top_level_number_texts(body));
  ASSERT_TRUE(std::holds_alternative<field_errors>(v));
  EXPECT_EQ(std::get<field_errors>(v).size(), 5u);
  for (auto price : {"0", "-5", "1000000.01", "\"12.50\"", "true"}) {
    std::string b = std::string(R"({"user_id": 1, "product_name": "x", "quantity": 1, "price": )") +
                    price + "}";
    auto r = validate_order_create(json::parse(b), top_level_number_texts(b));
    ASSERT_TRUE(std::holds_alternative<field_errors>(r)) << price;
    EXPECT_EQ(std::get<field_errors>(r).at(0).field, "price");
  }
  std::string max = R"({"user_id": 1, "product_name": "x", "quantity": 1, "price": 1000000})";
  EXPECT_TRUE(std::holds_alternative<order_draft>(
    validate_order_create(json::parse(max), top_level_number_texts(max))));
}

TEST(OrderValidation, UpdateCannotChangeTheUser) {
  std::string body = R"({"user_id": 2, "quantity": 5})";
  auto v = validate_order_update(json::parse(body), top_level_number_texts(body));
  ASSERT_TRUE(std::holds_alternative<field_errors>(v));
  EXPECT_EQ(std::get<field_errors>(v).at(0).field, "user_id");
}

TEST(OrderLifecycle, StatusMovesForwardOrIsCancelledEarly) {
  for (auto [from, to] :
       std::vector<std::pair<std::string, std::string>>{{"pending", "confirmed"},
                                                        {"confirmed", "shipped"},
                                                        {"shipped", "delivered"},
                                                        {"pending", "cancelled"},
                                                        {"confirmed", "cancelled"},
                                                        {"shipped", "shipped"}}) {
    EXPECT_TRUE(status_change_allowed(from, to)) << from << " -> " << to;
  }
}

TEST(OrderLifecycle, NothingLeavesDeliveredOrCancelledNorGoesBack) {
  for (auto [from, to] :
       std::vector<std::pair<std::string, std::string>>{{"delivered", "pending"},
                                                        {"cancelled", "pending"},
                                                        {"delivered", "cancelled"},
                                                        {"cancelled", "confirmed"},
                                                        {"shipped", "cancelled"},
                                                        {"shipped", "pending"},
                                                        {"confirmed", "pending"},
                                                        {"pending", "shipped"},
                                                        {"pending", "delivered"}}) {
    EXPECT_FALSE(status_change_allowed(from, to)) << from << " -> " << to;
  }
}
