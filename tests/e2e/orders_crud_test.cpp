// /api/v1/orders create, read, update, delete, concurrency headers and idempotency,
// against the real order-service with the real user-service behind it.
#include "e2e/orders_fixture.hpp"

namespace e2e {
namespace {

class OrdersCrud : public orders_suite {
protected:
  std::string item(const json& order) {
    return "/api/v1/orders/" + std::to_string(order.value("id", 0LL));
  }
  std::int64_t count_search(const std::string& needle) {
    const auto r = orders().get("/api/v1/orders?search=" + url_encode(needle));
    EXPECT_EQ(r.status, 200u) << describe(r);
    if (r.status != 200)
      return -1;
    return r.json()["meta"].value("total", -1LL);
  }
};

TEST_F(OrdersCrud, CreateReturns201WithEveryField) {
  const auto uid = create_user("buyer");
  ASSERT_GT(uid, 0);
  const auto t = tag();
  const auto r = post_order_text(order_text(uid, "Widget " + t, 7, "19.99"));
  ASSERT_EQ(r.status, 201u) << describe(r);
  ASSERT_TRUE(is_json_body(r));
  const auto j = r.json();
  EXPECT_EQ(j.value("success", false), true) << r.body;
  ASSERT_TRUE(j.contains("data")) << r.body;
  const auto& o = j["data"];
  EXPECT_TRUE(is_order(o));
  EXPECT_EQ(o.value("user_id", 0LL), uid) << o.dump();
  EXPECT_EQ(o.value("product_name", ""), "Widget " + t) << o.dump();
  EXPECT_EQ(o.value("quantity", 0), 7) << o.dump();
  EXPECT_TRUE(has_exact_number(r.body, "price", "19.99"));
  EXPECT_TRUE(has_exact_number(r.body, "total_amount", "139.93"));
  EXPECT_EQ(o.value("status", ""), "pending") << "status defaults to pending: " << o.dump();
  EXPECT_EQ(o.value("user_validated", false), true)
    << "the user exists in user-service: " << o.dump();
  EXPECT_EQ(r.header("location"), item(o)) << "201 Created names the new order: " << describe(r);
  const auto etag = r.header("etag");
  EXPECT_FALSE(etag.empty()) << "a single order carries an ETag: " << describe(r);

  const auto got = orders().get(item(o));
  ASSERT_EQ(got.status, 200u) << describe(got);
  ASSERT_TRUE(is_json_body(got));
  EXPECT_EQ(got.json().value("success", false), true) << got.body;
  EXPECT_EQ(got.json()["data"], o) << "GET must return what POST returned";
  EXPECT_EQ(got.header("etag"), etag) << describe(got);
}

TEST_F(OrdersCrud, TotalAmountIsQuantityTimesPriceExactly) {
  const auto uid = create_user("exact");
  ASSERT_GT(uid, 0);
  const auto t = tag();
  struct money_case {
    int quantity;
    const char* price;
    const char* total;
  };
  const std::vector<money_case> cases = {
    {3, "0.1", "0.3"},
    {7, "19.99", "139.93"},
    {1, "0.01", "0.01"},
    {3, "33.33", "99.99"},
    {10, "0.07", "0.7"},
    {9999, "0.99", "9899.01"},
    {3, "1.10", "3.3"},
    {10000, "1000000", "10000000000"},
    {1, "1000000.00", "1000000"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::to_string(c.quantity) + " x " + c.price);
    const auto r = post_order_text(order_text(uid, "Exact " + t, c.quantity, c.price));
    ASSERT_EQ(r.status, 201u) << describe(r);
    EXPECT_TRUE(has_exact_number(r.body, "price", c.price));
    EXPECT_TRUE(has_exact_number(r.body, "total_amount", c.total));
    // Stored exactly, not only computed exactly on the way out.
    const auto got = orders().get("/api/v1/orders/" +
                                  std::to_string(r.json()["data"].value("id", 0LL)));
    ASSERT_EQ(got.status, 200u) << describe(got);
    EXPECT_TRUE(has_exact_number(got.body, "price", c.price));
    EXPECT_TRUE(has_exact_number(got.body, "total_amount", c.total));
  }
}

TEST_F(OrdersCrud, CreateKeepsAGivenStatusAndAcceptsBoundaries) {
  const auto uid = create_user("bounds");
  ASSERT_GT(uid, 0);
  const auto t = tag();
  for (const char* status : {"pending", "confirmed", "shipped", "delivered", "cancelled"}) {
    const auto o = create_order({{"user_id", uid},
                                 {"product_name", "Status " + t},
                                 {"quantity", 1},
                                 {"price", 5},
                                 {"status", status}});
    EXPECT_EQ(o.value("status", ""), status) << o.dump();
  }
  EXPECT_EQ(
    create_order({{"user_id", uid}, {"product_name", "Q " + t}, {"quantity", 10000}, {"price", 1}})
      .value("quantity", 0),
    10000);
  const std::string name200 = t + std::string(200 - t.size(), 'p');
  EXPECT_EQ(
    create_order({{"user_id", uid}, {"product_name", name200}, {"quantity", 1}, {"price", 1}})
      .value("product_name", ""),
    name200);
  const auto cent = post_order_text(order_text(uid, "Cent " + t, 1, "0.01"));
  EXPECT_EQ(cent.status, 201u) << describe(cent);
}

TEST_F(OrdersCrud, ValidationErrorListsEveryOffendingField) {
  auto r = orders().post("/api/v1/orders", json::object());
  EXPECT_TRUE(is_error(r, 400, "VALIDATION_ERROR"));
  EXPECT_EQ(detail_fields(r),
            (std::multiset<std::string>{"price", "product_name", "quantity", "user_id"}))
    << describe(r);

  r = post_order_text(
    R"({"user_id": 0, "product_name": "", "quantity": 0, "price": 0, "status": "bogus"})");
  EXPECT_TRUE(is_error(r, 400, "VALIDATION_ERROR"));
  EXPECT_EQ(detail_fields(r),
            (std::multiset<std::string>{"price", "product_name", "quantity", "status", "user_id"}))
    << describe(r);
  if (r.status == 400) {
    for (const auto& d : r.json()["error"].value("details", json::array())) {
      EXPECT_TRUE(d.contains("message") && d["message"].is_string() &&
                  !d["message"].get<std::string>().empty())
        << "every detail needs a message: " << d.dump();
    }
  }
}

TEST_F(OrdersCrud, EachFieldRuleIsEnforced) {
  const auto uid = create_user("rules");
  ASSERT_GT(uid, 0);
  const auto t = tag();
  const auto name = json("Rule " + t).dump();
  const auto u = std::to_string(uid);
  struct bad_case {
    std::string body;
    const char* field;
  };
  const std::vector<bad_case> cases = {
    {order_text(uid, "Rule " + t, 1, "19.999"), "price"},
    {order_text(uid, "Rule " + t, 1, "0"), "price"},
    {order_text(uid, "Rule " + t, 1, "0.00"), "price"},
    {order_text(uid, "Rule " + t, 1, "-1"), "price"},
    {order_text(uid, "Rule " + t, 1, "1000000.01"), "price"},
    {order_text(uid, "Rule " + t, 1, "0.001"), "price"},
    {order_text(uid, "Rule " + t, 1, "\"19.99\""), "price"},
    {"{\"user_id\": " + u + ", \"product_name\": " + name + ", \"quantity\": 1}", "price"},
    {order_text(uid, "Rule " + t, 0, "1"), "quantity"},
    {order_text(uid, "Rule " + t, 10001, "1"), "quantity"},
    {order_text(uid, "Rule " + t, -3, "1"), "quantity"},
    {"{\"user_id\": " + u + ", \"product_name\": " + name + ", \"quantity\": 1.5, \"price\": 1}",
     "quantity"},
    {"{\"user_id\": " + u + ", \"product_name\": " + name + ", \"quantity\": \"3\", \"price\": 1}",
     "quantity"},
    {"{\"user_id\": " + u + ", \"product_name\": " + name + ", \"price\": 1}", "quantity"},
    {"{\"user_id\": " + u + ", \"quantity\": 1, \"price\": 1}", "product_name"},
    {order_text(uid, "", 1, "1"), "product_name"},
    {order_text(uid, t + std::string(201 - t.size(), 'x'), 1, "1"), "product_name"},
    {"{\"user_id\": " + u + ", \"product_name\": 42, \"quantity\": 1, \"price\": 1}",
     "product_name"},
    {order_text(uid, "Rule " + t, 1, "1", R"("status": "bogus")"), "status"},
    {order_text(uid, "Rule " + t, 1, "1", R"("status": "PENDING")"), "status"},
    {order_text(0, "Rule " + t, 1, "1"), "user_id"},
    {order_text(-5, "Rule " + t, 1, "1"), "user_id"},
    {"{\"user_id\": \"" + u + "\", \"product_name\": " + name + ", \"quantity\": 1, \"price\": 1}",
     "user_id"},
    {"{\"product_name\": " + name + ", \"quantity\": 1, \"price\": 1}", "user_id"},
  };
  for (const auto& c : cases) {
    const auto r = post_order_text(c.body);
    EXPECT_TRUE(is_error(r, 400, "VALIDATION_ERROR")) << "body " << c.body;
    EXPECT_EQ(detail_fields(r), (std::multiset<std::string>{c.field}))
      << "body " << c.body << " -> " << describe(r);
  }
  EXPECT_EQ(count_search(t), 0) << "no invalid order may be stored";
}

TEST_F(OrdersCrud, MalformedBodiesAndIdsAreBadRequest) {
  for (const std::string body : {R"({"user_id": 1,)", "{not json}", ""}) {
    const auto r = orders().request("POST", "/api/v1/orders", body,
                                    {{"Content-Type", "application/json"}});
    EXPECT_TRUE(is_error(r, 400, "BAD_REQUEST")) << "body '" << body << "'";
  }
  const auto typed = orders().request("POST", "/api/v1/orders", order_text(1, "Typed", 1, "1"),
                                      {{"Content-Type", "text/plain"}});
  EXPECT_TRUE(is_error(typed, 400, "BAD_REQUEST"));
  for (const std::string id : {"abc", "12abc", "1.5"}) {
    EXPECT_TRUE(is_error(orders().get("/api/v1/orders/" + id), 400, "BAD_REQUEST")) << "id " << id;
  }
}

TEST_F(OrdersCrud, GetUnknownOrderIs404) {
  EXPECT_TRUE(is_error(orders().get("/api/v1/orders/999999999"), 404, "NOT_FOUND"));
  const auto uid = create_user("getter");
  const auto o = create_order(
    {{"user_id", uid}, {"product_name", "Getter " + tag()}, {"quantity", 1}, {"price", 2}});
  ASSERT_TRUE(o.contains("id"));
  EXPECT_TRUE(
    is_error(orders().get("/api/v1/orders/" + std::to_string(o["id"].get<long long>() + 100000)),
             404, "NOT_FOUND"));
}

TEST_F(OrdersCrud, PutUpdatesPartiallyAndRecomputesTotal) {
  const auto uid = create_user("updater");
  ASSERT_GT(uid, 0);
  const auto t = tag();
  const auto created_reply = post_order_text(order_text(uid, "Update " + t, 2, "10.00"));
  ASSERT_EQ(created_reply.status, 201u) << describe(created_reply);
  const auto created = created_reply.json()["data"];
  EXPECT_TRUE(has_exact_number(created_reply.body, "total_amount", "20"));
  const auto path = item(created);

  auto r = orders().put(path, {{"quantity", 3}});
  ASSERT_EQ(r.status, 200u) << describe(r);
  auto o = r.json()["data"];
  EXPECT_TRUE(is_order(o));
  EXPECT_EQ(o.value("quantity", 0), 3);
  EXPECT_TRUE(has_exact_number(r.body, "price", "10"));
  EXPECT_TRUE(has_exact_number(r.body, "total_amount", "30"))
    << "total_amount recomputed on quantity";
  EXPECT_EQ(o.value("product_name", ""), "Update " + t) << "untouched fields stay";
  EXPECT_EQ(o.value("user_id", 0LL), uid);
  EXPECT_EQ(o.value("status", ""), "pending");
  EXPECT_EQ(o["created_at"], created["created_at"]);
  EXPECT_NE(r.header("etag"), created_reply.header("etag")) << "a new version has a new ETag";

  r = orders().request("PUT", path, R"({"price": 0.1})", {{"Content-Type", "application/json"}});
  ASSERT_EQ(r.status, 200u) << describe(r);
  EXPECT_TRUE(has_exact_number(r.body, "price", "0.1"));
  EXPECT_TRUE(has_exact_number(r.body, "total_amount", "0.3"))
    << "total_amount recomputed on price: 3 x 0.1";

  r = orders().request("PUT", path, R"({"quantity": 7, "price": 19.99})",
                       {{"Content-Type", "application/json"}});
  ASSERT_EQ(r.status, 200u) << describe(r);
  EXPECT_TRUE(has_exact_number(r.body, "total_amount", "139.93"));

  r = orders().put(path, {{"product_name", "Renamed " + t}, {"status", "confirmed"}});
  ASSERT_EQ(r.status, 200u) << describe(r);
  o = r.json()["data"];
  EXPECT_EQ(o.value("product_name", ""), "Renamed " + t);
  EXPECT_EQ(o.value("status", ""), "confirmed");
  EXPECT_EQ(o.value("quantity", 0), 7);
  EXPECT_TRUE(has_exact_number(r.body, "total_amount", "139.93"))
    << "unchanged when neither factor changes";
  EXPECT_EQ(o["user_validated"], created["user_validated"]);

  const auto empty = orders().put(path, json::object());
  ASSERT_EQ(empty.status, 200u) << describe(empty);
  EXPECT_EQ(empty.json()["data"], o) << "PUT {} changes nothing";

  const auto same = orders().request(
    "PUT", path,
    R"({"status": "confirmed", "quantity": 7, "price": 19.99, "product_name": ")" +
      o.value("product_name", "") + R"("})",
    {{"Content-Type", "application/json"}});
  ASSERT_EQ(same.status, 200u) << describe(same);
  EXPECT_EQ(same.json()["data"], o) << "a PUT of the current values changes nothing, updated_at "
                                       "included";
  EXPECT_EQ(same.header("etag"), r.header("etag")) << "nor the ETag";

  const auto got = orders().get(path);
  ASSERT_EQ(got.status, 200u) << describe(got);
  EXPECT_EQ(got.json()["data"], o) << "GET shows the last update";
}

TEST_F(OrdersCrud, PutRefusesUserIdAndInvalidFields) {
  const auto uid = create_user("fixed");
  ASSERT_GT(uid, 0);
  const auto other = create_user("other");
  const auto created = create_order(
    {{"user_id", uid}, {"product_name", "Fixed " + tag()}, {"quantity", 4}, {"price", 2.5}});
  ASSERT_TRUE(created.contains("id"));
  const auto path = item(created);

  for (const auto target_user : {other, uid}) {
    const auto r = orders().put(path, {{"user_id", target_user}});
    EXPECT_TRUE(is_error(r, 400, "VALIDATION_ERROR")) << "user_id cannot change";
    EXPECT_EQ(detail_fields(r), (std::multiset<std::string>{"user_id"})) << describe(r);
  }
  const auto mixed = orders().put(path, {{"user_id", other}, {"quantity", 9}});
  EXPECT_TRUE(is_error(mixed, 400, "VALIDATION_ERROR"));

  struct bad_case {
    std::string body;
    const char* field;
  };
  for (const auto& c : std::vector<bad_case>{{R"({"quantity": 0})", "quantity"},
                                             {R"({"quantity": 10001})", "quantity"},
                                             {R"({"price": 1.234})", "price"},
                                             {R"({"price": 0})", "price"},
                                             {R"({"status": "bogus"})", "status"},
                                             {R"({"product_name": ""})", "product_name"}}) {
    const auto r = orders().request("PUT", path, c.body, {{"Content-Type", "application/json"}});
    EXPECT_TRUE(is_error(r, 400, "VALIDATION_ERROR")) << c.body;
    EXPECT_EQ(detail_fields(r), (std::multiset<std::string>{c.field}))
      << c.body << " -> " << describe(r);
  }
  const auto got = orders().get(path);
  ASSERT_EQ(got.status, 200u) << describe(got);
  EXPECT_EQ(got.json()["data"], created) << "refused updates change nothing";

  EXPECT_TRUE(
    is_error(orders().put("/api/v1/orders/999999999", {{"quantity", 2}}), 404, "NOT_FOUND"));
}

TEST_F(OrdersCrud, StaleIfMatchFailsThePrecondition) {
  const auto uid = create_user("racer");
  ASSERT_GT(uid, 0);
  const auto r0 = orders().post(
    "/api/v1/orders",
    {{"user_id", uid}, {"product_name", "Race " + tag()}, {"quantity", 1}, {"price", 3}});
  ASSERT_EQ(r0.status, 201u) << describe(r0);
  const auto path = item(r0.json()["data"]);
  const auto etag1 = r0.header("etag");
  ASSERT_FALSE(etag1.empty()) << describe(r0);
  EXPECT_EQ(orders().get(path).header("etag"), etag1);

  const auto r1 = orders().put(path, {{"quantity", 2}}, {{"If-Match", etag1}});
  ASSERT_EQ(r1.status, 200u) << describe(r1);
  const auto etag2 = r1.header("etag");
  EXPECT_FALSE(etag2.empty());
  EXPECT_NE(etag2, etag1);

  const auto stale = orders().put(path, {{"quantity", 5}}, {{"If-Match", etag1}});
  EXPECT_TRUE(is_error(stale, 412, "PRECONDITION_FAILED")) << "a stale If-Match must not overwrite";
  auto got = orders().get(path);
  ASSERT_EQ(got.status, 200u);
  EXPECT_EQ(got.json()["data"].value("quantity", 0), 2) << got.body;
  EXPECT_EQ(got.header("etag"), etag2);

  const auto fresh = orders().put(path, {{"quantity", 6}}, {{"If-Match", etag2}});
  ASSERT_EQ(fresh.status, 200u) << describe(fresh);
  const auto etag3 = fresh.header("etag");

  EXPECT_TRUE(is_error(orders().del(path, {{"If-Match", etag2}}), 412, "PRECONDITION_FAILED"))
    << "stale If-Match on DELETE";
  got = orders().get(path);
  EXPECT_EQ(got.status, 200u) << "a refused DELETE deletes nothing: " << describe(got);

  const auto del = orders().del(path, {{"If-Match", etag3}});
  EXPECT_EQ(del.status, 204u) << describe(del);
  EXPECT_TRUE(is_error(orders().get(path), 404, "NOT_FOUND"));
}

TEST_F(OrdersCrud, DeleteAnswers204ThenTheOrderIsGone) {
  const auto uid = create_user("deleter");
  ASSERT_GT(uid, 0);
  const auto t = tag();
  const auto keep = create_order(
    {{"user_id", uid}, {"product_name", "Keep " + t}, {"quantity", 1}, {"price", 1}});
  const auto gone = create_order(
    {{"user_id", uid}, {"product_name", "Gone " + t}, {"quantity", 1}, {"price", 1}});
  ASSERT_TRUE(gone.contains("id"));
  const auto path = item(gone);

  const auto del = orders().del(path);
  EXPECT_EQ(del.status, 204u) << describe(del);
  EXPECT_TRUE(del.body.empty()) << "204 has no body: " << describe(del);

  EXPECT_TRUE(is_error(orders().get(path), 404, "NOT_FOUND"));
  EXPECT_TRUE(is_error(orders().del(path), 404, "NOT_FOUND")) << "a second DELETE";
  EXPECT_TRUE(is_error(orders().put(path, {{"quantity", 2}}), 404, "NOT_FOUND"))
    << "PUT on a deleted order";

  const auto list = orders().get("/api/v1/orders?search=" + t);
  ASSERT_EQ(list.status, 200u) << describe(list);
  EXPECT_EQ(list.json()["meta"].value("total", -1), 1) << list.body;
  ASSERT_EQ(list.json()["data"].size(), 1u) << list.body;
  EXPECT_EQ(list.json()["data"][0], keep) << "only the live order is listed";
}

TEST_F(OrdersCrud, IdempotencyKeyReplaysTheFirstResponse) {
  const auto uid = create_user("idem");
  ASSERT_GT(uid, 0);
  const auto t = tag();
  const auto key = "idem-" + t;
  const auto body = order_text(uid, "Idem " + t, 3, "0.1");

  const auto first = post_order_text(body, {{"Idempotency-Key", key}});
  ASSERT_EQ(first.status, 201u) << describe(first);
  const auto second = post_order_text(body, {{"Idempotency-Key", key}});
  EXPECT_EQ(second.status, 201u) << "the first response again: " << describe(second);
  ASSERT_TRUE(is_json_body(second));
  EXPECT_EQ(second.json(), first.json()) << "same body as the first response";
  EXPECT_EQ(second.header("etag"), first.header("etag"));
  EXPECT_EQ(second.header("idempotent-replayed"), "true")
    << "README: replays say so: " << describe(second);
  EXPECT_TRUE(has_exact_number(second.body, "total_amount", "0.3"));
  EXPECT_EQ(count_search(t), 1) << "a replay creates nothing";

  const auto other_body = order_text(uid, "Idem " + t, 4, "0.1");
  const auto mismatch = post_order_text(other_body, {{"Idempotency-Key", key}});
  EXPECT_TRUE(is_error(mismatch, 409, "CONFLICT")) << "same key, different body";
  EXPECT_EQ(count_search(t), 1) << "a refused key creates nothing";

  const auto third = post_order_text(body, {{"Idempotency-Key", key}});
  EXPECT_EQ(third.status, 201u) << describe(third);
  if (third.status == 201) {
    EXPECT_EQ(third.json()["data"], first.json()["data"]) << "still the first response after a 409";
  }

  const auto other_key = post_order_text(body, {{"Idempotency-Key", key + "-2"}});
  ASSERT_EQ(other_key.status, 201u) << describe(other_key);
  EXPECT_NE(other_key.json()["data"].value("id", 0LL), first.json()["data"].value("id", 0LL))
    << "another key is another order";
  EXPECT_EQ(count_search(t), 2);

  const auto no_key = post_order_text(body);
  EXPECT_EQ(no_key.status, 201u) << describe(no_key);
  EXPECT_EQ(count_search(t), 3) << "without a key every POST creates";
}

// docs/api/order-service.yaml is what GET /openapi.json serves, and it documents
// exactly the routes of services/order-service/main.cpp.
TEST_F(OrdersCrud, ServesItsOpenApiDocumentWithExactlyItsRoutes) {
  http_client client{order_port()};
  EXPECT_TRUE(serves_its_openapi_document(
    client, {"GET /api/v1/orders", "POST /api/v1/orders", "GET /api/v1/orders/{id}",
             "PUT /api/v1/orders/{id}", "DELETE /api/v1/orders/{id}"}));
}

}  // namespace
}  // namespace e2e
