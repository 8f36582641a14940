// How order-service checks an order's user with user-service: validated users,
// unknown users, X-Request-ID and traceparent forwarding, and the breaker as
// /health and /metrics show it while user-service is up.
#include <sstream>
#include <vector>

#include "e2e/orders_fixture.hpp"

namespace e2e {
namespace {

using namespace std::chrono_literals;

class OrdersUserCheck : public orders_suite {
protected:
  // Bounded wait for user-service's log to carry a line with this request id.
  bool user_log_shows(const std::string& request_id) {
    return poll_until([&] { return log_has_request_id(user_service().log_text(), request_id); }, 5s,
                      100ms);
  }
};

TEST_F(OrdersUserCheck, ExistingUserIsValidated) {
  const auto uid = create_user("known");
  ASSERT_GT(uid, 0);
  const auto o = create_order(
    {{"user_id", uid}, {"product_name", "Known " + tag()}, {"quantity", 2}, {"price", 4}});
  EXPECT_EQ(o.value("user_validated", false), true) << o.dump();
  EXPECT_EQ(o.value("user_id", 0LL), uid);
}

TEST_F(OrdersUserCheck, UnknownUserIsAValidationErrorOnUserId) {
  const long long missing = 987654321;
  const auto check = users().get("/api/v1/users/" + std::to_string(missing));
  ASSERT_EQ(check.status, 404u) << "precondition: user-service does not know the user: "
                                << describe(check);

  const auto t = tag();
  const auto r = orders().post(
    "/api/v1/orders",
    {{"user_id", missing}, {"product_name", "Ghost " + t}, {"quantity", 1}, {"price", 1}});
  EXPECT_TRUE(is_error(r, 400, "VALIDATION_ERROR"));
  EXPECT_EQ(detail_fields(r), (std::multiset<std::string>{"user_id"})) << describe(r);

  const auto list = orders().get("/api/v1/orders?search=" + t);
  ASSERT_EQ(list.status, 200u) << describe(list);
  EXPECT_EQ(list.json()["meta"].value("total", -1), 0)
    << "nothing stored for an unknown user: " << list.body;
}

TEST_F(OrdersUserCheck, DeletedUserIsUnknown) {
  const auto uid = create_user("leaver");
  ASSERT_GT(uid, 0);
  const auto before = create_order(
    {{"user_id", uid}, {"product_name", "Before " + tag()}, {"quantity", 1}, {"price", 1}});
  EXPECT_EQ(before.value("user_validated", false), true);
  const auto del = users().del("/api/v1/users/" + std::to_string(uid));
  ASSERT_EQ(del.status, 204u) << describe(del);
  const auto r = orders().post(
    "/api/v1/orders",
    {{"user_id", uid}, {"product_name", "After " + tag()}, {"quantity", 1}, {"price", 1}});
  EXPECT_TRUE(is_error(r, 400, "VALIDATION_ERROR"))
    << "a soft-deleted user is a 404 in user-service";
  EXPECT_EQ(detail_fields(r), (std::multiset<std::string>{"user_id"})) << describe(r);
}

TEST_F(OrdersUserCheck, UnknownUserWithIdempotencyKeyIsRefusedToo) {
  const auto r = orders().post(
    "/api/v1/orders",
    {{"user_id", 987654322}, {"product_name", "Ghost " + tag()}, {"quantity", 1}, {"price", 1}},
    {{"Idempotency-Key", "ghost-" + tag()}});
  EXPECT_TRUE(is_error(r, 400, "VALIDATION_ERROR"));
  EXPECT_EQ(detail_fields(r), (std::multiset<std::string>{"user_id"})) << describe(r);
}

TEST_F(OrdersUserCheck, RequestIdIsForwardedToUserService) {
  const auto uid = create_user("traced");
  ASSERT_GT(uid, 0);
  const auto rid = "e2e-orders-" + tag();
  ASSERT_FALSE(log_has_request_id(user_service().log_text(), rid)) << "precondition: the id is new";

  const auto r = orders().post(
    "/api/v1/orders",
    {{"user_id", uid}, {"product_name", "Traced " + tag()}, {"quantity", 1}, {"price", 1}},
    {{"X-Request-ID", rid}});
  ASSERT_EQ(r.status, 201u) << describe(r);
  EXPECT_EQ(r.header("x-request-id"), rid) << "echoed by order-service";
  EXPECT_TRUE(user_log_shows(rid)) << "user-service never logged request_id " << rid << "; its log "
                                   << user_service().log_path() << ":\n"
                                   << user_service().log_tail(20);
  EXPECT_TRUE(log_has_request_id(order_service().log_text(), rid)) << "order-service logs it too";

  // The 404 path forwards it as well, and the error body names it.
  const auto rid2 = "e2e-orders-missing-" + tag();
  const auto missing = orders().post(
    "/api/v1/orders",
    {{"user_id", 987654323}, {"product_name", "Nobody"}, {"quantity", 1}, {"price", 1}},
    {{"X-Request-ID", rid2}});
  EXPECT_TRUE(is_error(missing, 400, "VALIDATION_ERROR"));
  EXPECT_EQ(missing.header("x-request-id"), rid2);
  EXPECT_TRUE(user_log_shows(rid2)) << "user-service never logged request_id " << rid2;

  // Without a header, the generated id is the one forwarded.
  const auto generated = orders().post(
    "/api/v1/orders",
    {{"user_id", uid}, {"product_name", "Generated " + tag()}, {"quantity", 1}, {"price", 1}});
  ASSERT_EQ(generated.status, 201u) << describe(generated);
  const auto gid = generated.header("x-request-id");
  EXPECT_TRUE(is_uuid_v4(gid));
  EXPECT_TRUE(user_log_shows(gid)) << "user-service never logged the generated request_id " << gid;
}

// Every JSON log line of `log_text` carrying "request_id": `request_id`.
std::vector<json> lines_of(const std::string& log_text, const std::string& request_id) {
  std::vector<json> out;
  std::istringstream in{log_text};
  std::string line;
  while (std::getline(in, line)) {
    auto j = json::parse(line, nullptr, false);
    if (j.is_object() && j.value("request_id", "") == request_id)
      out.push_back(std::move(j));
  }
  return out;
}

// W3C Trace Context: a valid traceparent is continued, its trace id is on the
// request's log lines in both services, and the call to user-service is a child;
// a malformed one starts a new trace.
TEST_F(OrdersUserCheck, TraceparentIsContinuedAndForwardedToUserService) {
  const auto uid = create_user("spanned");
  ASSERT_GT(uid, 0);
  const std::string trace_id = "4bf92f3577b34da6a3ce929d0e0e4736", caller_span = "00f067aa0ba902b7";
  const auto rid = "e2e-trace-" + tag();
  const auto r = orders().post(
    "/api/v1/orders",
    {{"user_id", uid}, {"product_name", "Spanned " + tag()}, {"quantity", 1}, {"price", 1}},
    {{"X-Request-ID", rid},
     {"traceparent", "00-" + trace_id + "-" + caller_span + "-01"},
     {"tracestate", "a=b"}});
  ASSERT_EQ(r.status, 201u) << describe(r);
  ASSERT_TRUE(user_log_shows(rid));
  const auto ours = lines_of(order_service().log_text(), rid);
  ASSERT_FALSE(ours.empty());
  for (const auto& line : ours) {
    EXPECT_EQ(line.value("trace_id", ""), trace_id) << line.dump();
    const auto span = line.value("span_id", "");
    EXPECT_EQ(span.size(), 16u) << line.dump();
    EXPECT_NE(span, caller_span) << "order-service's own span: " << line.dump();
  }
  const auto theirs = lines_of(user_service().log_text(), rid);
  ASSERT_FALSE(theirs.empty());
  for (const auto& line : theirs) {
    EXPECT_EQ(line.value("trace_id", ""), trace_id)
      << "the call to user-service is in the same trace: " << line.dump();
    EXPECT_NE(line.value("span_id", ""), ours.front().value("span_id", "")) << line.dump();
  }

  const auto rid2 = "e2e-trace-bad-" + tag();
  const auto bad = orders().post(
    "/api/v1/orders",
    {{"user_id", uid}, {"product_name", "Unspanned " + tag()}, {"quantity", 1}, {"price", 1}},
    {{"X-Request-ID", rid2}, {"traceparent", "00-" + trace_id + "-0000000000000000-01"}});
  ASSERT_EQ(bad.status, 201u) << describe(bad);
  ASSERT_TRUE(user_log_shows(rid2));
  const auto fresh = lines_of(order_service().log_text(), rid2);
  ASSERT_FALSE(fresh.empty());
  const auto new_trace = fresh.front().value("trace_id", "");
  EXPECT_EQ(new_trace.size(), 32u);
  EXPECT_NE(new_trace, trace_id) << "a malformed traceparent starts a new trace";
  for (const auto& line : lines_of(user_service().log_text(), rid2))
    EXPECT_EQ(line.value("trace_id", ""), new_trace) << line.dump();
}

TEST_F(OrdersUserCheck, HealthAndMetricsShowAClosedBreaker) {
  const auto uid = create_user("healthy");
  create_order(
    {{"user_id", uid}, {"product_name", "Healthy " + tag()}, {"quantity", 1}, {"price", 1}});
  const auto h = orders().get("/health");
  ASSERT_EQ(h.status, 200u) << describe(h);
  ASSERT_TRUE(is_json_body(h));
  const auto j = h.json();
  EXPECT_EQ(j.value("status", ""), "ok") << h.body;
  EXPECT_EQ(j.value("service", ""), "order-service") << h.body;
  EXPECT_EQ(j["checks"].value("database", ""), "ok") << h.body;
  ASSERT_TRUE(j.contains("circuit_breakers") && j["circuit_breakers"].is_object()) << h.body;
  EXPECT_EQ(j["circuit_breakers"].value("user-service", ""), "closed") << h.body;

  const auto m = orders().get("/metrics");
  ASSERT_EQ(m.status, 200u) << describe(m);
  EXPECT_EQ(metric_value(m.body, "circuit_breaker_state",
                         {{"service", "order-service"}, {"target", "user-service"}}),
            std::optional<double>{0.0})
    << "closed is 0";
}

}  // namespace
}  // namespace e2e
