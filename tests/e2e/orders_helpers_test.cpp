// The checkers the order suites rely on must be able to say no: exact decimals,
// Prometheus samples, request ids in JSON logs. No service needed.
#include "e2e/orders_fixture.hpp"

namespace e2e {
namespace {

TEST(OrdersHelpers, CanonicalDecimalIsExact) {
  EXPECT_EQ(canonical_decimal("0.3"), std::optional<std::string>{"0.3"});
  EXPECT_EQ(canonical_decimal("0.30"), std::optional<std::string>{"0.3"});
  EXPECT_EQ(canonical_decimal("1.3993e2"), std::optional<std::string>{"139.93"});
  EXPECT_EQ(canonical_decimal("10000000000.0"), std::optional<std::string>{"10000000000"});
  EXPECT_EQ(canonical_decimal("1e10"), std::optional<std::string>{"10000000000"});
  EXPECT_EQ(canonical_decimal("5E-3"), std::optional<std::string>{"0.005"});
  EXPECT_EQ(canonical_decimal("007"), std::optional<std::string>{"7"});
  EXPECT_EQ(canonical_decimal("0.30000000000000004"),
            std::optional<std::string>{"0.30000000000000004"});
  EXPECT_EQ(canonical_decimal("abc"), std::nullopt);
  EXPECT_EQ(canonical_decimal("\"0.3\""), std::nullopt);
}

TEST(OrdersHelpers, HasExactNumberRejectsFloatNoise) {
  EXPECT_TRUE(
    has_exact_number(R"({"data":{"price":0.1,"total_amount":0.3}})", "total_amount", "0.3"));
  EXPECT_FALSE(has_exact_number(R"({"total_amount":0.30000000000000004})", "total_amount", "0.3"));
  EXPECT_FALSE(
    has_exact_number(R"({"total_amount":139.92999999999998})", "total_amount", "139.93"));
  EXPECT_FALSE(has_exact_number(R"({"total_amount":"0.3"})", "total_amount", "0.3"))
    << "a string is no number";
  EXPECT_FALSE(has_exact_number(R"({"price":0.3})", "total_amount", "0.3")) << "absent";
}

TEST(OrdersHelpers, MetricValueMatchesNameAndLabels) {
  const std::string text =
    "# TYPE circuit_breaker_state gauge\n"
    "circuit_breaker_state{service=\"order-service\",target=\"user-service\"} 2\n"
    "circuit_breaker_state_other{service=\"order-service\",target=\"user-service\"} 7\n"
    "circuit_breaker_transitions_total{from=\"closed\",service=\"order-service\",target=\"user-service\",to=\"open\"} 3\n";
  EXPECT_EQ(metric_value(text, "circuit_breaker_state", {{"target", "user-service"}}),
            std::optional<double>{2.0});
  EXPECT_EQ(metric_value(text, "circuit_breaker_state", {{"target", "billing"}}), std::nullopt);
  EXPECT_EQ(
    metric_value(text, "circuit_breaker_transitions_total", {{"from", "closed"}, {"to", "open"}}),
    std::optional<double>{3.0});
  EXPECT_EQ(metric_value(text, "circuit_breaker_transitions_total",
                         {{"from", "half_open"}, {"to", "closed"}}),
            std::nullopt);
}

TEST(OrdersHelpers, LogHasRequestIdReadsJsonLines) {
  const std::string log =
    "### e2e: starting user-service with REQ=abc-1\n"
    "{\"level\":\"info\",\"msg\":\"request\",\"request_id\":\"abc-2\"}\n"
    "not json abc-3\n";
  EXPECT_TRUE(log_has_request_id(log, "abc-2"));
  EXPECT_FALSE(log_has_request_id(log, "abc-1")) << "not a JSON line";
  EXPECT_FALSE(log_has_request_id(log, "abc-3"));
  EXPECT_FALSE(log_has_request_id(log, "abc"));
}

}  // namespace
}  // namespace e2e
