// Input rules a client meets at the edges, over real HTTP against user-service:
// JSON that parsers disagree on, numbers beyond range, names made of invisible or
// reordering characters, Idempotency-Key retries serialised differently, and the
// forms of If-Match (RFC 9110: strong comparison, lists, several lines, `*`).
#include "e2e/e2e_fixture.hpp"

namespace e2e {
namespace {

class UsersInputRules : public user_service_suite {
protected:
  static std::string path(const json& user) {
    return "/api/v1/users/" + std::to_string(user.value("id", 0LL));
  }
  std::string email(const std::string& who, const std::string& t) {
    return who + "." + t + "@example.com";
  }
  reply post_text(const std::string& text, header_map headers = {}) {
    headers.emplace("Content-Type", "application/json");
    return client().request("POST", "/api/v1/users", text, std::move(headers));
  }
  long long total_for(const std::string& search) {
    const auto r = client().get("/api/v1/users?search=" + search);
    return r.status == 200 ? r.json()["meta"].value("total", -1LL) : -1;
  }
};

TEST_F(UsersInputRules, ARepeatedMemberNameIsABadRequest) {
  const auto t = tag();
  const auto r = post_text(R"({"name":"Dup )" + t + R"(","email":")" + email("dup", t) +
                           R"(","name":"Other )" + t + "\"}");
  EXPECT_TRUE(is_error(r, 400, "BAD_REQUEST"));
  EXPECT_NE(r.body.find("name"), std::string::npos) << "the message names the member: " << r.body;
  EXPECT_EQ(total_for(t), 0) << "neither name was stored";
}

TEST_F(UsersInputRules, ANumberBeyondRangeIsAFieldError) {
  const auto t = tag();
  const auto r = post_text(R"({"name":"Big )" + t + R"(","email":")" + email("big", t) +
                           R"(","age":1e400})");
  EXPECT_TRUE(is_error(r, 400, "VALIDATION_ERROR"));
  EXPECT_EQ(detail_fields(r), (std::multiset<std::string>{"age"})) << describe(r);
}

TEST_F(UsersInputRules, BlankInvisibleAndControlNamesAreRefused) {
  const auto t = tag();
  int n = 0;
  for (const std::string name : {"\u00a0\u00a0", "\u200b\u200b\u200b", "\u3000A\u200b",
                                 "Ada\u0085Lovelace", "Ada\u202eecalevoL", "Ada\u2066x"}) {
    SCOPED_TRACE(json(name).dump());
    const auto r = client().post(
      "/api/v1/users", {{"name", name}, {"email", email("ctl" + std::to_string(n++), t)}});
    EXPECT_TRUE(is_error(r, 400, "VALIDATION_ERROR"));
    EXPECT_EQ(detail_fields(r), (std::multiset<std::string>{"name"})) << describe(r);
  }
  const auto ok = client().post("/api/v1/users",
                                {{"name", "\u00a0Zoë " + t + "\u200b"}, {"email", email("ok", t)}});
  ASSERT_EQ(ok.status, 201u) << describe(ok);
  EXPECT_EQ(ok.json()["data"].value("name", ""), "Zoë " + t)
    << "blank characters at the ends are trimmed";
}

// The same request written by another client library: other spacing, other
// member order. A retry with the key is a replay, not a conflict.
TEST_F(UsersInputRules, AnIdempotentRetryIsComparedAsJsonNotAsBytes) {
  const auto t = tag();
  const header_map key = {{"Idempotency-Key", "fingerprint-" + t}};
  const auto first = post_text(
    R"({"name":"Print )" + t + R"(","email":")" + email("print", t) + R"(","age":30})", key);
  ASSERT_EQ(first.status, 201u) << describe(first);
  const auto retry = post_text("{\n  \"age\" : 30,\n  \"email\": \"" + email("print", t) +
                                 "\",\n  \"name\": \"Print " + t + "\"\n}",
                               key);
  EXPECT_EQ(retry.status, 201u) << describe(retry);
  EXPECT_EQ(retry.header("idempotent-replayed"), "true") << describe(retry);
  EXPECT_EQ(retry.json()["data"], first.json()["data"]);
  const auto other = post_text(
    R"({"name":"Print )" + t + R"(","email":")" + email("print", t) + R"(","age":31})", key);
  EXPECT_TRUE(is_error(other, 409, "CONFLICT")) << "another value is another request";
  EXPECT_EQ(total_for(t), 1);
}

TEST_F(UsersInputRules, IfMatchComparesStronglyAndTakesListsLinesAndStar) {
  const auto t = tag();
  const auto u = create_user(user_body("ifmatch", t));
  ASSERT_TRUE(u.contains("id"));
  auto etag = client().get(path(u)).header("etag");
  ASSERT_EQ(etag, "\"1\"");

  // A weak tag naming the current version does not match: 412, nothing deleted.
  EXPECT_TRUE(
    is_error(client().del(path(u), {{"If-Match", "W/" + etag}}), 412, "PRECONDITION_FAILED"));
  EXPECT_EQ(client().get(path(u)).status, 200u);

  // A list matches when any tag is current.
  auto r = client().put(path(u), {{"age", 20}}, {{"If-Match", "\"99\", " + etag}});
  ASSERT_EQ(r.status, 200u) << describe(r);
  etag = r.header("etag");

  // Two field lines are one list (RFC 9110 section 5.3): the second line counts.
  const auto body = json{{"age", 21}}.dump();
  const auto raw = raw_exchange(
    port(), "PUT " + path(u) +
              " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
              "If-Match: \"99\"\r\nIf-Match: " +
              etag + "\r\nContent-Length: " + std::to_string(body.size()) +
              "\r\nConnection: close\r\n\r\n" + body);
  ASSERT_TRUE(raw.response.has_value()) << raw.received;
  EXPECT_EQ(raw.response->status, 200u) << describe(*raw.response);
  EXPECT_EQ(client().get(path(u)).json()["data"].value("age", 0), 21);

  // `*` matches whatever version is current.
  r = client().put(path(u), {{"age", 22}}, {{"If-Match", "*"}});
  EXPECT_EQ(r.status, 200u) << describe(r);
  EXPECT_EQ(client().del(path(u), {{"If-Match", "*"}}).status, 204u);
  EXPECT_TRUE(is_error(client().del(path(u), {{"If-Match", "*"}}), 404, "NOT_FOUND"))
    << "no current version";
}

// The empty patch is answered without writing, but never past a stale If-Match.
TEST_F(UsersInputRules, AnEmptyPatchWithAStaleIfMatchIsRefused) {
  const auto t = tag();
  const auto u = create_user(user_body("emptypatch", t));
  ASSERT_TRUE(u.contains("id"));
  const auto changed = client().put(path(u), {{"age", 40}});
  ASSERT_EQ(changed.status, 200u) << describe(changed);
  EXPECT_TRUE(is_error(client().put(path(u), json::object(), {{"If-Match", "\"1\""}}), 412,
                       "PRECONDITION_FAILED"));
  EXPECT_EQ(client().put(path(u), json::object(), {{"If-Match", changed.header("etag")}}).status,
            200u);
}

}  // namespace
}  // namespace e2e
