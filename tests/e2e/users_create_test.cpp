// POST /api/v1/users and GET /api/v1/users/{id} against the real user-service.
#include "e2e/e2e_fixture.hpp"

namespace e2e {
namespace {

class UsersCreate : public user_service_suite {};

TEST_F(UsersCreate, CreateReturns201WithEnvelopeAndAllFields) {
  const auto t = tag();
  const json body = {{"name", "  Ada Lovelace " + t + "  "},
                     {"email", "Ada." + t + "@Example.COM"}};
  const auto r = client().post("/api/v1/users", body);
  ASSERT_EQ(r.status, 201u) << describe(r);
  ASSERT_TRUE(is_json_body(r));
  const auto j = r.json();
  EXPECT_EQ(j.value("success", false), true) << r.body;
  ASSERT_TRUE(j.contains("data")) << r.body;
  const auto& u = j["data"];
  EXPECT_TRUE(is_user(u));
  EXPECT_EQ(u.value("name", ""), "Ada Lovelace " + t) << "name must be trimmed";
  EXPECT_EQ(u.value("email", ""), "ada." + t + "@example.com") << "email must be stored lower-case";
  EXPECT_TRUE(u.contains("age") && u["age"].is_null())
    << "age must be null when unset: " << u.dump();
  EXPECT_EQ(u.value("status", ""), "active") << "status defaults to active";
  EXPECT_FALSE(r.header("etag").empty()) << "a single resource carries an ETag: " << describe(r);
}

TEST_F(UsersCreate, CreateKeepsAgeAndStatusAndAcceptsBoundaries) {
  const auto t = tag();
  auto body = user_body("grace", t);
  body["age"] = 150;
  body["status"] = "inactive";
  const auto u = create_user(body);
  EXPECT_EQ(u.value("age", -1), 150);
  EXPECT_EQ(u.value("status", ""), "inactive");

  auto young = user_body("newborn", t);
  young["age"] = 0;
  EXPECT_EQ(create_user(young).value("age", -1), 0);

  auto nulled = user_body("nullage", t);
  nulled["age"] = nullptr;
  const auto n = create_user(nulled);
  EXPECT_TRUE(n.contains("age") && n["age"].is_null()) << n.dump();

  // 2 and 100 characters after trimming; characters, not bytes.
  EXPECT_EQ(
    create_user({{"name", " Al "}, {"email", "al." + t + "@example.com"}}).value("name", ""), "Al");
  const std::string hundred(100, 'x');
  EXPECT_EQ(
    create_user({{"name", hundred}, {"email", "long." + t + "@example.com"}}).value("name", ""),
    hundred);
  std::string hundred_accents;
  for (int i = 0; i < 100; ++i)
    hundred_accents += "\xC3\xA9";  // U+00E9, two bytes in UTF-8
  EXPECT_EQ(create_user({{"name", hundred_accents}, {"email", "accent." + t + "@example.com"}})
              .value("name", ""),
            hundred_accents);
}

TEST_F(UsersCreate, TakenEmailIsAConflictCaseInsensitively) {
  const auto t = tag();
  create_user({{"name", "First " + t}, {"email", "Taken." + t + "@example.com"}});
  const auto r = client().post("/api/v1/users",
                               {{"name", "Second " + t}, {"email", "TAKEN." + t + "@EXAMPLE.com"}});
  EXPECT_TRUE(is_error(r, 409, "CONFLICT"));
  const auto list = client().get("/api/v1/users?search=" + t);
  ASSERT_EQ(list.status, 200u) << describe(list);
  EXPECT_EQ(list.json()["meta"]["total"], 1)
    << "the conflicting user must not be created: " << list.body;
}

TEST_F(UsersCreate, ValidationErrorListsEveryOffendingField) {
  auto r = client().post("/api/v1/users", json::object());
  EXPECT_TRUE(is_error(r, 400, "VALIDATION_ERROR"));
  EXPECT_EQ(detail_fields(r), (std::multiset<std::string>{"email", "name"})) << describe(r);

  r = client().post(
    "/api/v1/users",
    {{"name", " A "}, {"email", "not-an-email"}, {"age", 151}, {"status", "deleted"}});
  EXPECT_TRUE(is_error(r, 400, "VALIDATION_ERROR"));
  EXPECT_EQ(detail_fields(r), (std::multiset<std::string>{"age", "email", "name", "status"}))
    << describe(r);
  for (const auto& d : r.json()["error"].value("details", json::array()))
    EXPECT_TRUE(d.contains("message") && d["message"].is_string() &&
                !d["message"].get<std::string>().empty())
      << "every detail needs a message: " << d.dump();
}

TEST_F(UsersCreate, EachFieldRuleIsEnforced) {
  const auto t = tag();
  const auto email = "rules." + t + "@example.com";
  struct bad_case {
    json body;
    const char* field;
  };
  const std::vector<bad_case> cases = {
    {{{"name", "   "}, {"email", email}}, "name"},
    {{{"name", std::string(101, 'n')}, {"email", email}}, "name"},
    {{{"name", 42}, {"email", email}}, "name"},
    {{{"email", email}}, "name"},
    {{{"name", "Valid Name"}}, "email"},
    {{{"name", "Valid Name"}, {"email", "a@"}}, "email"},
    {{{"name", "Valid Name"}, {"email", "@example.com"}}, "email"},
    {{{"name", "Valid Name"}, {"email", "a b@example.com"}}, "email"},
    {{{"name", "Valid Name"}, {"email", std::string(250, 'e') + "@x.com"}}, "email"},
    {{{"name", "Valid Name"}, {"email", 7}}, "email"},
    {{{"name", "Valid Name"}, {"email", email}, {"age", -1}}, "age"},
    {{{"name", "Valid Name"}, {"email", email}, {"age", 151}}, "age"},
    {{{"name", "Valid Name"}, {"email", email}, {"age", 1.5}}, "age"},
    {{{"name", "Valid Name"}, {"email", email}, {"age", "30"}}, "age"},
    {{{"name", "Valid Name"}, {"email", email}, {"status", "deleted"}}, "status"},
    {{{"name", "Valid Name"}, {"email", email}, {"status", "ACTIVE"}}, "status"},
  };
  for (const auto& c : cases) {
    const auto r = client().post("/api/v1/users", c.body);
    EXPECT_TRUE(is_error(r, 400, "VALIDATION_ERROR")) << "body " << c.body.dump();
    EXPECT_EQ(detail_fields(r), (std::multiset<std::string>{c.field}))
      << "body " << c.body.dump() << " -> " << describe(r);
  }
  const auto list = client().get("/api/v1/users?search=" + t);
  ASSERT_EQ(list.status, 200u) << describe(list);
  EXPECT_EQ(list.json()["meta"]["total"], 0) << "no invalid user may be stored: " << list.body;
}

TEST_F(UsersCreate, MalformedJsonIsBadRequest) {
  for (const std::string body :
       {R"({"name": "x",)", "{not json}", R"({"name": "Abc", "email": "a@b.c"} trailing)"}) {
    const auto r = client().request("POST", "/api/v1/users", body,
                                    {{"Content-Type", "application/json"}});
    EXPECT_TRUE(is_error(r, 400, "BAD_REQUEST")) << "body " << body;
  }
  const auto empty = client().request("POST", "/api/v1/users", "",
                                      {{"Content-Type", "application/json"}});
  EXPECT_TRUE(is_error(empty, 400, "BAD_REQUEST")) << "empty body";
  // Well-formed JSON that is not an object: a 400 either way.
  for (const std::string body : {"[1,2]", R"("just a string")", "null"}) {
    const auto r = client().request("POST", "/api/v1/users", body,
                                    {{"Content-Type", "application/json"}});
    EXPECT_EQ(r.status, 400u) << "body " << body << " -> " << describe(r);
    EXPECT_TRUE(is_json_body(r));
  }
}

TEST_F(UsersCreate, WrongContentTypeIsBadRequest) {
  const auto t = tag();
  const auto body = user_body("ctype", t).dump();
  for (const std::string type :
       {"text/plain", "application/x-www-form-urlencoded", "application/xml"}) {
    const auto r = client().request("POST", "/api/v1/users", body, {{"Content-Type", type}});
    EXPECT_TRUE(is_error(r, 400, "BAD_REQUEST")) << "Content-Type " << type;
  }
  const auto list = client().get("/api/v1/users?search=" + t);
  EXPECT_EQ(list.json()["meta"]["total"], 0) << list.body;
  // A charset parameter is still JSON.
  const auto ok = client().request("POST", "/api/v1/users", body,
                                   {{"Content-Type", "application/json; charset=utf-8"}});
  EXPECT_EQ(ok.status, 201u) << describe(ok);
}

TEST_F(UsersCreate, GetByIdReturnsTheUserOr404) {
  const auto t = tag();
  auto body = user_body("getter", t);
  body["age"] = 37;
  const auto created = create_user(body);
  ASSERT_TRUE(created.contains("id"));
  const auto id = created["id"].get<long long>();

  const auto r = client().get("/api/v1/users/" + std::to_string(id));
  ASSERT_EQ(r.status, 200u) << describe(r);
  ASSERT_TRUE(is_json_body(r));
  EXPECT_EQ(r.json().value("success", false), true);
  EXPECT_EQ(r.json()["data"], created) << "GET must return what POST returned";
  EXPECT_FALSE(r.header("etag").empty()) << describe(r);

  EXPECT_TRUE(
    is_error(client().get("/api/v1/users/" + std::to_string(id + 1000000)), 404, "NOT_FOUND"));
  EXPECT_TRUE(is_error(client().get("/api/v1/users/999999999"), 404, "NOT_FOUND"));
}

TEST_F(UsersCreate, BadPathIdIsBadRequest) {
  for (const std::string id : {"abc", "12abc", "1.5", "%20"}) {
    EXPECT_TRUE(is_error(client().get("/api/v1/users/" + id), 400, "BAD_REQUEST"))
      << "GET id " << id;
    EXPECT_TRUE(
      is_error(client().put("/api/v1/users/" + id, {{"name", "Some Name"}}), 400, "BAD_REQUEST"))
      << "PUT id " << id;
    EXPECT_TRUE(is_error(client().del("/api/v1/users/" + id), 400, "BAD_REQUEST"))
      << "DELETE id " << id;
  }
  // The canonical id has no leading zeros: "0042" names no user, even when 42 exists.
  const auto created = create_user(user_body("zeros", tag()));
  ASSERT_TRUE(created.contains("id"));
  const auto id = std::to_string(created["id"].get<long long>());
  EXPECT_EQ(client().get("/api/v1/users/" + id).status, 200u);
  for (const auto& padded : std::vector<std::string>{"0" + id, "000" + id}) {
    EXPECT_TRUE(is_error(client().get("/api/v1/users/" + padded), 400, "BAD_REQUEST"))
      << "GET id " << padded;
    EXPECT_TRUE(is_error(client().del("/api/v1/users/" + padded), 400, "BAD_REQUEST"))
      << "DELETE id " << padded;
  }
  EXPECT_EQ(client().get("/api/v1/users/" + id).status, 200u) << "still there";
}

TEST_F(UsersCreate, SqlMetacharactersAreStoredVerbatim) {
  const auto t = tag();
  const std::vector<std::string> names = {
    "Robert'); DROP TABLE users;-- " + t,
    "O'Brien \"quoted\" \\ back " + t,
    "100% _under_ " + t,
    "$1 ${x} :name ? " + t,
    "Zo\xC3\xAB \xE5\x90\x8D\xE5\x89\x8D " + t,
  };
  int n = 0;
  for (const auto& name : names) {
    const auto email = "o'brien+" + std::to_string(n++) + "." + t + "@example.com";
    const auto created = create_user({{"name", name}, {"email", email}});
    ASSERT_TRUE(created.contains("id")) << name;
    EXPECT_EQ(created.value("name", ""), name);
    EXPECT_EQ(created.value("email", ""), email);
    const auto r = client().get("/api/v1/users/" + std::to_string(created["id"].get<long long>()));
    ASSERT_EQ(r.status, 200u) << describe(r);
    EXPECT_EQ(r.json()["data"].value("name", ""), name);
    EXPECT_EQ(r.json()["data"].value("email", ""), email);
  }
  const auto list = client().get("/api/v1/users?page_size=100&search=" + t);
  ASSERT_EQ(list.status, 200u) << describe(list);
  EXPECT_EQ(list.json()["meta"]["total"], static_cast<int>(names.size())) << list.body;
}

}  // namespace
}  // namespace e2e
