// PUT and DELETE /api/v1/users/{id}, ETag / If-Match and Idempotency-Key.
#include <cctype>

#include "e2e/e2e_fixture.hpp"

namespace e2e {
namespace {

class UsersUpdate : public user_service_suite {
protected:
  static std::string path(const json& user) {
    return "/api/v1/users/" + std::to_string(user.value("id", 0LL));
  }
  json total_for(const std::string& search) {
    const auto r = client().get("/api/v1/users?search=" + search);
    EXPECT_EQ(r.status, 200u) << describe(r);
    return r.status == 200 ? r.json()["meta"]["total"] : json{};
  }
};

TEST_F(UsersUpdate, PartialUpdateChangesOnlyTheGivenFields) {
  const auto t = tag();
  auto body = user_body("upd", t);
  body["age"] = 30;
  const auto u = create_user(body);
  ASSERT_TRUE(u.contains("id"));

  auto r = client().put(path(u), {{"name", "  Renamed " + t + "  "}});
  ASSERT_EQ(r.status, 200u) << describe(r);
  ASSERT_TRUE(is_json_body(r));
  EXPECT_EQ(r.json().value("success", false), true);
  auto d = r.json()["data"];
  EXPECT_TRUE(is_user(d));
  EXPECT_EQ(d["id"], u["id"]);
  EXPECT_EQ(d["name"], "Renamed " + t) << "name is trimmed on update too";
  EXPECT_EQ(d["email"], u["email"]);
  EXPECT_EQ(d["age"], 30);
  EXPECT_EQ(d["status"], "active");
  EXPECT_EQ(d["created_at"], u["created_at"]);
  EXPECT_FALSE(r.header("etag").empty()) << describe(r);

  r = client().put(path(u),
                   {{"email", "New." + t + "@Example.ORG"}, {"status", "inactive"}, {"age", 31}});
  ASSERT_EQ(r.status, 200u) << describe(r);
  d = r.json()["data"];
  EXPECT_EQ(d["email"], "new." + t + "@example.org") << "email lower-cased on update";
  EXPECT_EQ(d["status"], "inactive");
  EXPECT_EQ(d["age"], 31);
  EXPECT_EQ(d["name"], "Renamed " + t);

  r = client().put(path(u), {{"age", nullptr}});
  ASSERT_EQ(r.status, 200u) << describe(r);
  EXPECT_TRUE(r.json()["data"]["age"].is_null()) << "age: null clears it: " << r.body;

  const auto got = client().get(path(u));
  ASSERT_EQ(got.status, 200u) << describe(got);
  EXPECT_EQ(got.json()["data"], r.json()["data"]) << "GET after PUT returns the updated user";
}

TEST_F(UsersUpdate, UpdateFollowsTheCreateRules) {
  const auto t = tag();
  const auto u = create_user(user_body("rules", t));
  ASSERT_TRUE(u.contains("id"));
  auto r = client().put(path(u),
                        {{"name", "x"}, {"email", "nope"}, {"age", 200}, {"status", "gone"}});
  EXPECT_TRUE(is_error(r, 400, "VALIDATION_ERROR"));
  EXPECT_EQ(detail_fields(r), (std::multiset<std::string>{"age", "email", "name", "status"}))
    << describe(r);
  for (const json& bad :
       {json{{"name", std::string(101, 'n')}}, json{{"age", -1}}, json{{"email", 5}}}) {
    r = client().put(path(u), bad);
    EXPECT_TRUE(is_error(r, 400, "VALIDATION_ERROR")) << bad.dump();
  }
  r = client().request("PUT", path(u), R"({"name": )", {{"Content-Type", "application/json"}});
  EXPECT_TRUE(is_error(r, 400, "BAD_REQUEST"));
  r = client().request("PUT", path(u), R"({"name": "Plain Text"})",
                       {{"Content-Type", "text/plain"}});
  EXPECT_TRUE(is_error(r, 400, "BAD_REQUEST"));
  const auto got = client().get(path(u));
  ASSERT_EQ(got.status, 200u) << describe(got);
  EXPECT_EQ(got.json()["data"]["name"], u["name"]) << "refused updates change nothing";
  EXPECT_EQ(got.json()["data"]["email"], u["email"]);
}

TEST_F(UsersUpdate, UpdateToATakenEmailIsAConflict) {
  const auto t = tag();
  const auto a = create_user(user_body("owner", t));
  const auto b = create_user(user_body("other", t));
  ASSERT_TRUE(a.contains("id") && b.contains("id"));
  auto r = client().put(path(b), {{"email", "OWNER." + t + "@example.com"}});
  EXPECT_TRUE(is_error(r, 409, "CONFLICT"));
  // Its own address, in other case, is no conflict.
  r = client().put(path(a), {{"email", "Owner." + t + "@EXAMPLE.com"}});
  EXPECT_EQ(r.status, 200u) << describe(r);
  EXPECT_EQ(client().get(path(b)).json()["data"]["email"], b["email"]);
}

TEST_F(UsersUpdate, UpdateOfAMissingUserIs404) {
  EXPECT_TRUE(
    is_error(client().put("/api/v1/users/987654321", {{"name", "Nobody Here"}}), 404, "NOT_FOUND"));
}

TEST_F(UsersUpdate, DeleteIsASoftDeleteGoneFromEveryRead) {
  const auto t = tag();
  const auto u = create_user(user_body("doomed", t));
  ASSERT_TRUE(u.contains("id"));
  ASSERT_EQ(total_for(t), 1);

  const auto r = client().del(path(u));
  EXPECT_EQ(r.status, 204u) << describe(r);
  EXPECT_TRUE(r.body.empty()) << "204 has no body: " << describe(r);
  // RFC 9110 8.6: a 204 must not carry Content-Length (nor, 6.1 of 9112, Transfer-Encoding).
  EXPECT_FALSE(r.has_header("content-length")) << describe(r);
  EXPECT_FALSE(r.has_header("transfer-encoding")) << describe(r);

  EXPECT_TRUE(is_error(client().get(path(u)), 404, "NOT_FOUND"));
  EXPECT_TRUE(is_error(client().put(path(u), {{"name", "Back Again"}}), 404, "NOT_FOUND"));
  EXPECT_TRUE(is_error(client().del(path(u)), 404, "NOT_FOUND"));
  EXPECT_EQ(total_for(t), 0) << "a deleted user is gone from the list";

  // The address of a deleted user is free again.
  const auto again = create_user(user_body("doomed", t));
  EXPECT_NE(again.value("id", 0LL), u.value("id", 0LL));
  EXPECT_EQ(total_for(t), 1);
}

TEST_F(UsersUpdate, ETagAndIfMatchGuardUpdatesAndDeletes) {
  const auto t = tag();
  const auto created = client().post("/api/v1/users", user_body("versioned", t));
  ASSERT_EQ(created.status, 201u) << describe(created);
  const auto u = created.json()["data"];
  const auto first = client().get(path(u));
  ASSERT_EQ(first.status, 200u);
  const auto etag1 = first.header("etag");
  ASSERT_FALSE(etag1.empty()) << describe(first);
  EXPECT_EQ(created.header("etag"), etag1) << "POST and GET of the same version send the same ETag";
  EXPECT_EQ(client().get(path(u)).header("etag"), etag1)
    << "the ETag is stable while nothing changes";

  auto r = client().put(path(u), {{"age", 40}}, {{"If-Match", etag1}});
  ASSERT_EQ(r.status, 200u) << "If-Match with the current ETag: " << describe(r);
  const auto etag2 = r.header("etag");
  EXPECT_FALSE(etag2.empty());
  EXPECT_NE(etag2, etag1) << "an update changes the ETag";
  EXPECT_EQ(client().get(path(u)).header("etag"), etag2);

  r = client().put(path(u), {{"age", 41}}, {{"If-Match", etag1}});
  EXPECT_TRUE(is_error(r, 412, "PRECONDITION_FAILED")) << "stale If-Match on PUT";
  EXPECT_EQ(client().get(path(u)).json()["data"]["age"], 40) << "a refused update changes nothing";

  r = client().del(path(u), {{"If-Match", etag1}});
  EXPECT_TRUE(is_error(r, 412, "PRECONDITION_FAILED")) << "stale If-Match on DELETE";
  EXPECT_EQ(client().get(path(u)).status, 200u) << "a refused delete deletes nothing";

  r = client().del(path(u), {{"If-Match", etag2}});
  EXPECT_EQ(r.status, 204u) << "If-Match with the current ETag: " << describe(r);
  EXPECT_EQ(client().get(path(u)).status, 404u);
}

TEST_F(UsersUpdate, PutOfTheCurrentValuesKeepsETagAndUpdatedAt) {
  const auto t = tag();
  auto body = user_body("same", t);
  body["age"] = 33;
  const auto created = client().post("/api/v1/users", body);
  ASSERT_EQ(created.status, 201u) << describe(created);
  const auto u = created.json()["data"];
  const auto etag = created.header("etag");
  ASSERT_FALSE(etag.empty()) << describe(created);

  // The same values once normalised: the name trimmed, the email lower-cased.
  std::string email = u.value("email", "");
  for (auto& c : email)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  auto r = client().put(path(u), {{"name", "  " + u.value("name", "") + " "},
                                  {"email", email},
                                  {"age", 33},
                                  {"status", u["status"]}});
  ASSERT_EQ(r.status, 200u) << describe(r);
  EXPECT_EQ(r.json()["data"], u) << "nothing changed, updated_at included";
  EXPECT_EQ(r.header("etag"), etag) << "the same version keeps its ETag";

  r = client().put(path(u), {{"age", 34}}, {{"If-Match", etag}});
  ASSERT_EQ(r.status, 200u) << "another client's If-Match still holds: " << describe(r);
  EXPECT_NE(r.header("etag"), etag) << "a change moves the ETag";
  EXPECT_NE(r.json()["data"]["updated_at"], u["updated_at"]) << "and updated_at";
}

TEST_F(UsersUpdate, IdempotencyKeyReplaysTheFirstResponse) {
  const auto t = tag();
  const auto body = user_body("idem", t);
  const header_map key = {{"Idempotency-Key", "e2e-" + t}};
  const auto first = client().post("/api/v1/users", body, key);
  ASSERT_EQ(first.status, 201u) << describe(first);
  const auto second = client().post("/api/v1/users", body, key);
  EXPECT_EQ(second.status, 201u) << "the replay repeats the first status: " << describe(second);
  ASSERT_TRUE(is_json_body(second));
  EXPECT_EQ(second.json()["data"], first.json()["data"]) << "the replay returns the same user";
  EXPECT_EQ(total_for(t), 1) << "a replay creates nothing";

  auto different = body;
  different["age"] = 55;
  const auto clash = client().post("/api/v1/users", different, key);
  EXPECT_TRUE(is_error(clash, 409, "CONFLICT")) << "same key, different body";
  EXPECT_EQ(total_for(t), 1);

  // Another key with the same body is a new request: the email is taken by then.
  const auto other = client().post("/api/v1/users", body, {{"Idempotency-Key", "e2e-other-" + t}});
  EXPECT_TRUE(is_error(other, 409, "CONFLICT"));
  // Without a key there is no replay either.
  EXPECT_TRUE(is_error(client().post("/api/v1/users", body), 409, "CONFLICT"));
}

}  // namespace
}  // namespace e2e
