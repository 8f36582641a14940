// Hostile request content, against the real user-service: deep and huge JSON,
// wrong JSON types, invalid UTF-8, NUL bytes, SQL metacharacters in every place a
// client controls (body, query, path, headers). Each must be a clear 4xx in the
// envelope (or a normal answer where the input is legal), never a 5xx, and must
// change nothing it should not. (Names and emails with SQL metacharacters stored
// verbatim: tests/e2e/users_create_test.cpp, SqlMetacharactersAreStoredVerbatim.)
#include <pqxx/pqxx>

#include "reliability/reliability_fixture.hpp"
#include "support/pg_env.hpp"

namespace reliability {
namespace {

using svc_test::header_map;

class HostilePayload : public hostile_suite {
protected:
  std::string user_text(const std::string& t, const std::string& extra_members = "") {
    return R"({"name": "Payload )" + t + R"(", "email": "payload.)" + t + R"(@example.com")" +
           (extra_members.empty() ? "" : ", " + extra_members) + "}";
  }
};

std::string nested(char open, char close, std::size_t depth, const std::string& inner = "1") {
  std::string s;
  for (std::size_t i = 0; i < depth; ++i)
    s += open == '{' ? std::string{"{\"a\":"} : std::string(1, open);
  s += inner;
  s += std::string(depth, close);
  return s;
}

TEST_F(HostilePayload, DeepJsonIsRefusedAtAnyDepth) {
  const auto t = tag();
  const std::vector<std::pair<std::string, std::string>> cases = {
    {"30000 nested arrays", nested('[', ']', 30000)},
    {"9000 nested objects", nested('{', '}', 9000)},
    {"deep value inside a valid user", user_text(t, "\"extra\": " + nested('[', ']', 100))},
    {"unterminated nesting", std::string(60000, '[')},
  };
  for (const auto& [name, body] : cases) {
    SCOPED_TRACE(name);
    ASSERT_LE(body.size(), max_body_bytes);
    EXPECT_TRUE(e2e::is_error(post_raw(body), 400, "BAD_REQUEST"));
  }
  EXPECT_EQ(users_matching(t), 0);
  EXPECT_TRUE(still_serving());
  // Shallow nesting in an unknown field is ignored like any unknown field.
  EXPECT_EQ(post_raw(user_text(t, "\"extra\": " + nested('[', ']', 5))).status, 201u);
}

TEST_F(HostilePayload, HugeJsonIsHandled) {
  const auto t = tag();
  std::string many_keys;
  for (int i = 0; many_keys.size() < max_body_bytes - 200; ++i)
    many_keys += "\"k" + std::to_string(i) + "\": " + std::to_string(i) + ", ";
  auto r = post_raw(user_text(t, many_keys + "\"last\": 0"));
  EXPECT_EQ(r.status, 201u) << "thousands of unknown fields are ignored: " << e2e::describe(r);

  std::string numbers = "[";
  for (int i = 0; numbers.size() < max_body_bytes - 20; ++i)
    numbers += std::to_string(i) + ",";
  numbers += "0]";
  EXPECT_TRUE(e2e::is_error(post_raw(numbers), 400, "BAD_REQUEST")) << "a huge array is no object";

  const auto t2 = tag();
  r = post_raw(R"({"name": ")" + std::string(max_body_bytes - 200, 'n') + R"(", "email": "long.)" +
               t2 + R"(@example.com"})");
  EXPECT_TRUE(e2e::is_error(r, 400, "VALIDATION_ERROR"));
  EXPECT_EQ(e2e::detail_fields(r), (std::multiset<std::string>{"name"})) << e2e::describe(r);
  for (const auto& number :
       {std::string(20000, '9'), std::string{"1e999999"}, std::string{"-1e400"}}) {
    r = post_raw(user_text(t2, "\"age\": " + number));
    EXPECT_TRUE(r.status == 400 &&
                (e2e::is_error(r, 400, "BAD_REQUEST") || e2e::is_error(r, 400, "VALIDATION_ERROR")))
      << "age " << number.substr(0, 20) << ": " << e2e::describe(r);
  }
  EXPECT_EQ(users_matching(t2), 0);
  EXPECT_TRUE(still_serving());
}

TEST_F(HostilePayload, WrongJsonTypesAreValidationErrors) {
  const auto t = tag();
  const std::string name = "\"name\": \"Typed " + t + "\"";
  const std::string email = "\"email\": \"typed." + t + "@example.com\"";
  struct bad_case {
    std::string body;
    const char* field;
  };
  std::vector<bad_case> cases;
  for (const std::string v :
       {"42", "1.5", "true", "null", "[]", "[\"Ada Lovelace\"]", "{}", "{\"first\": \"Ada\"}"})
    cases.push_back({"{\"name\": " + v + ", " + email + "}", "name"});
  for (const std::string v : {"42", "false", "null", "[\"a@b.example\"]", "{\"x\": 1}"})
    cases.push_back({"{" + name + ", \"email\": " + v + "}", "email"});
  for (const std::string v :
       {"\"30\"", "30.5", "1e2", "true", "[30]", "{\"years\": 30}", "-1", "151",
        "9223372036854775808", "18446744073709551616", "-9223372036854775809"})
    cases.push_back({"{" + name + ", " + email + ", \"age\": " + v + "}", "age"});
  for (const std::string v :
       {"1", "true", "[\"active\"]", "{\"is\": \"active\"}", "\"active \"", "\"\""})
    cases.push_back({"{" + name + ", " + email + ", \"status\": " + v + "}", "status"});
  for (const auto& c : cases) {
    const auto r = post_raw(c.body);
    EXPECT_TRUE(e2e::is_error(r, 400, "VALIDATION_ERROR")) << c.body;
    EXPECT_EQ(e2e::detail_fields(r), (std::multiset<std::string>{c.field}))
      << c.body << " -> " << e2e::describe(r);
  }
  EXPECT_EQ(users_matching(t), 0) << "nothing with a wrong type is stored";

  // The same on PUT: refused, and the user is unchanged.
  const auto created = post_raw("{" + name + ", " + email + ", \"age\": 30}");
  ASSERT_EQ(created.status, 201u) << e2e::describe(created);
  const auto before = created.json()["data"];
  const auto item = "/api/v1/users/" + std::to_string(before["id"].get<long long>());
  for (const std::string body :
       {R"({"age": "31"})", R"({"name": 7})", R"({"email": ["x@y.example"]})",
        R"({"status": false})", R"({"age": 31.0})"}) {
    const auto r = client().request("PUT", item, body, {{"Content-Type", "application/json"}});
    EXPECT_TRUE(e2e::is_error(r, 400, "VALIDATION_ERROR")) << body;
  }
  EXPECT_EQ(client().get(item).json()["data"], before) << "refused updates changed the user";
}

TEST_F(HostilePayload, InvalidUtf8IsRefusedEverywhere) {
  const auto t = tag();
  struct bad_string {
    std::string what, bytes;
    bool raw;  // raw bytes (false: a JSON escape, plain ASCII outside JSON)
  };
  const std::vector<bad_string> bad_strings = {
    {"truncated sequence", "\xC3", true},
    {"bad continuation", "\xC3\x28", true},
    {"overlong slash", "\xC0\xAF", true},
    {"UTF-16 surrogate", "\xED\xA0\x80", true},
    {"above U+10FFFF", "\xF4\x90\x80\x80", true},
    {"bytes never valid", "\xFF\xFE", true},
    {"escaped lone surrogate", "\\ud800", false},
    {"escaped reversed pair", "\\udc00\\ud800", false},
  };
  for (const auto& b : bad_strings) {
    SCOPED_TRACE(b.what);
    EXPECT_TRUE(e2e::is_error(post_raw(R"({"name": "Bad )" + b.bytes + " " + t +
                                       R"(", "email": "utf.)" + t + R"(@example.com"})"),
                              400, "BAD_REQUEST"));
    if (!b.raw)
      continue;
    // In the query string the bytes arrive percent-encoded and reach no parser
    // before the database: PostgreSQL refused them with a 500 before the fix.
    const auto r = client().get("/api/v1/users?search=" + svc_test::url_encode("a" + b.bytes));
    EXPECT_TRUE(e2e::is_error(r, 400, "VALIDATION_ERROR"));
    EXPECT_EQ(e2e::detail_fields(r), (std::multiset<std::string>{"search"})) << e2e::describe(r);
  }
  EXPECT_EQ(users_matching(t), 0);
  // Invalid UTF-8 in headers: a request id is replaced, an idempotency key refused.
  auto r = client().get("/api/v1/users", {{"X-Request-ID", "bad-\xC3\x28-id"}});
  EXPECT_EQ(r.status, 200u) << e2e::describe(r);
  EXPECT_TRUE(e2e::is_uuid_v4(r.header("x-request-id"))) << e2e::describe(r);
  r = client().request("POST", "/api/v1/users", user_text(t),
                       {{"Idempotency-Key", "key-\xFF-" + t}});
  EXPECT_EQ(r.status, 400u) << e2e::describe(r);
  EXPECT_TRUE(e2e::is_json_body(r));
  // Valid escapes are data: stored as the characters they stand for.
  r = post_raw(R"({"name": "Zo\u00eb \ud83d\ude00 )" + t + R"(", "email": "utf8.)" + t +
               R"(@example.com"})");
  ASSERT_EQ(r.status, 201u) << e2e::describe(r);
  EXPECT_EQ(r.json()["data"].value("name", ""), "Zo\xC3\xAB \xF0\x9F\x98\x80 " + t);
  EXPECT_TRUE(still_serving());
}

TEST_F(HostilePayload, NulBytesAreRefusedEverywhere) {
  const auto t = tag();
  using namespace std::string_literals;
  const std::vector<std::pair<std::string, std::string>> bodies = {
    {"raw NUL inside a string",
     R"({"name": "Nul )"s + "\0"s + " " + t + R"(", "email": "nul.)" + t + R"(@example.com"})"},
    {"raw NUL after the object", user_text(t) + "\0"s},
    {"raw NUL before the object", "\0"s + user_text(t)},
  };
  for (const auto& [what, body] : bodies)
    EXPECT_TRUE(e2e::is_error(post_raw(body), 400, "BAD_REQUEST")) << what;
  for (const char* field : {"name", "email"}) {
    auto j = json{{"name", "Nul " + t}, {"email", "nul." + t + "@example.com"}};
    j[field] = j[field].get<std::string>() + std::string{"\0x"s};  // sent as \u0000
    const auto r = client().post("/api/v1/users", j);
    EXPECT_TRUE(e2e::is_error(r, 400, "VALIDATION_ERROR")) << field << ": " << e2e::describe(r);
    EXPECT_EQ(e2e::detail_fields(r), (std::multiset<std::string>{field})) << e2e::describe(r);
  }
  EXPECT_EQ(users_matching(t), 0);
  for (const std::string target : {"/api/v1/users?search=a%00b", "/api/v1/users?status=active%00",
                                   "/api/v1/users?page=1%00", "/api/v1/users/1%00"}) {
    const auto r = client().get(target);
    EXPECT_TRUE(r.status == 200 || (r.status == 400 && e2e::is_json_body(r)))
      << target << ": " << e2e::describe(r);
  }
  EXPECT_TRUE(still_serving());
}

TEST_F(HostilePayload, SqlMetacharactersAreNeverExecuted) {
  const auto t = tag();
  const auto created = post_raw(user_text(t));
  ASSERT_EQ(created.status, 201u) << e2e::describe(created);
  const auto id = created.json()["data"]["id"].get<long long>();
  const auto total = [&](const std::string& query) {
    const auto r = client().get("/api/v1/users?" + query);
    EXPECT_EQ(r.status, 200u) << query << ": " << e2e::describe(r);
    return r.status == 200 ? r.json()["meta"].value("total", -1LL) : -1LL;
  };
  const long long everyone = total("page_size=1");
  ASSERT_GT(everyone, 0);
  for (const std::string attack :
       {"' OR '1'='1", "%' OR 1=1 --", "'; DROP TABLE users; --", "\\", "' || '", "$1", "%%", "_",
        "*/ SELECT pg_sleep(5) /*", "') OR true; --"}) {
    EXPECT_EQ(total("search=" + svc_test::url_encode(attack)), 0)
      << "search " << attack << " matched as SQL";
    EXPECT_EQ(total("search=" + svc_test::url_encode(t + attack)), 0) << "search " << t << attack;
    EXPECT_TRUE(
      e2e::is_error(client().get("/api/v1/users?status=" + svc_test::url_encode("active" + attack)),
                    400, "VALIDATION_ERROR"))
      << attack;
    // Encoded, a '/' in the attack stays inside the id segment: a bad path id.
    const auto by_id = client().get("/api/v1/users/" + std::to_string(id) +
                                    svc_test::url_encode(attack));
    EXPECT_TRUE(e2e::is_error(by_id, 400, "BAD_REQUEST")) << attack;
  }
  // A key made of SQL (no spaces: keys are visible ASCII) is only a key.
  const header_map key = {{"Idempotency-Key", "k';DROP/**/TABLE/**/users;--" + t}};
  const auto t2 = tag();
  const auto first = client().request("POST", "/api/v1/users", user_text(t2), key);
  ASSERT_EQ(first.status, 201u) << e2e::describe(first);
  const auto replay = client().request("POST", "/api/v1/users", user_text(t2), key);
  EXPECT_EQ(replay.status, 201u) << e2e::describe(replay);
  EXPECT_EQ(replay.header("idempotent-replayed"), "true") << e2e::describe(replay);

  EXPECT_EQ(total("page_size=1"), everyone + 1) << "every user still there, one more";
  EXPECT_EQ(client().get("/api/v1/users/" + std::to_string(id)).status, 200u);
  // And in the database itself: the table and its rows are intact.
  pqxx::connection conn{svc_test::database_url("rel_hostilepayload")};
  pqxx::work tx{conn};
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM users WHERE deleted_at IS NULL")[0].as<long long>(),
            everyone + 1);
}

}  // namespace
}  // namespace reliability
