// The order status lifecycle over real HTTP: pending -> confirmed -> shipped ->
// delivered, cancelled from pending or confirmed, nothing out of delivered or
// cancelled; any other change is a 409 CONFLICT naming the transition.
#include "e2e/orders_fixture.hpp"

namespace e2e {
namespace {

class OrdersLifecycle : public orders_suite {
protected:
  std::string new_order() {
    const auto uid = create_user("lifecycle");
    const auto o = create_order(
      {{"user_id", uid}, {"product_name", "Life " + tag()}, {"quantity", 1}, {"price", 1}});
    return "/api/v1/orders/" + std::to_string(o.value("id", 0LL));
  }
  reply set_status(const std::string& path, const std::string& status) {
    return orders().put(path, {{"status", status}});
  }
  std::string status_of(const std::string& path) {
    return orders().get(path).json()["data"].value("status", "");
  }
};

TEST_F(OrdersLifecycle, AnOrderMovesForwardToDelivered) {
  const auto path = new_order();
  for (const std::string next : {"confirmed", "shipped", "delivered"}) {
    const auto r = set_status(path, next);
    ASSERT_EQ(r.status, 200u) << next << ": " << describe(r);
    EXPECT_EQ(r.json()["data"].value("status", ""), next);
  }
  EXPECT_EQ(set_status(path, "delivered").status, 200u) << "keeping the status is no transition";
}

TEST_F(OrdersLifecycle, NothingLeavesDeliveredOrCancelled) {
  const auto delivered = new_order();
  for (const std::string next : {"confirmed", "shipped", "delivered"})
    ASSERT_EQ(set_status(delivered, next).status, 200u);
  for (const std::string back : {"pending", "cancelled", "shipped"}) {
    const auto r = set_status(delivered, back);
    EXPECT_TRUE(is_error(r, 409, "CONFLICT")) << back;
    EXPECT_NE(r.body.find("from delivered to " + back), std::string::npos)
      << "names the transition: " << r.body;
  }
  EXPECT_EQ(status_of(delivered), "delivered");

  const auto cancelled = new_order();
  ASSERT_EQ(set_status(cancelled, "cancelled").status, 200u) << "pending -> cancelled";
  const auto r = set_status(cancelled, "pending");
  EXPECT_TRUE(is_error(r, 409, "CONFLICT"));
  EXPECT_NE(r.body.find("from cancelled to pending"), std::string::npos) << r.body;
  EXPECT_EQ(status_of(cancelled), "cancelled");
}

TEST_F(OrdersLifecycle, CancellingIsOnlyBeforeShippingAndStepsAreNotSkipped) {
  const auto path = new_order();
  EXPECT_TRUE(is_error(set_status(path, "shipped"), 409, "CONFLICT"))
    << "pending -> shipped skips confirmed";
  ASSERT_EQ(set_status(path, "confirmed").status, 200u);
  EXPECT_TRUE(is_error(set_status(path, "pending"), 409, "CONFLICT")) << "no way back";
  ASSERT_EQ(set_status(path, "shipped").status, 200u);
  EXPECT_TRUE(is_error(set_status(path, "cancelled"), 409, "CONFLICT"))
    << "shipped cannot be cancelled";
  EXPECT_EQ(status_of(path), "shipped");
  // Other fields still change under a refused-nothing status, and a stale If-Match
  // is a 412 before the lifecycle is looked at.
  EXPECT_EQ(orders().put(path, {{"quantity", 2}}).status, 200u);
  EXPECT_TRUE(is_error(orders().put(path, {{"status", "pending"}}, {{"If-Match", "\"1\""}}), 412,
                       "PRECONDITION_FAILED"));
}

}  // namespace
}  // namespace e2e
