#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "domain/field_rules.hpp"
#include "domain/user.hpp"

using nlohmann::json;
using namespace svc;

namespace {

field_errors errors_of(const validated<user_draft>& v) {
  auto* e = std::get_if<field_errors>(&v);
  return e ? *e : field_errors{};
}

bool has_error(const field_errors& errors, const std::string& field) {
  for (const auto& e : errors)
    if (e.field == field)
      return true;
  return false;
}

}  // namespace

TEST(UserValidation, AcceptsAValidUserAndNormalisesIt) {
  auto v = validate_user_create(json{{"name", "  Ada Lovelace "}, {"email", "Ada@Example.COM"}, {"age", 36}});
  ASSERT_TRUE(std::holds_alternative<user_draft>(v));
  auto d = std::get<user_draft>(v);
  EXPECT_EQ(d.name, "Ada Lovelace");
  EXPECT_EQ(d.email, "ada@example.com");
  EXPECT_EQ(d.age, 36);
  EXPECT_EQ(d.status, "active");
}

TEST(UserValidation, ReportsEveryOffendingField) {
  auto errors = errors_of(validate_user_create(json{{"name", "A"}, {"email", "nope"}, {"age", 151}, {"status", "gone"}}));
  EXPECT_EQ(errors.size(), 4u);
  for (auto f : {"name", "email", "age", "status"})
    EXPECT_TRUE(has_error(errors, f)) << f;
}

TEST(UserValidation, RequiresNameAndEmail) {
  auto errors = errors_of(validate_user_create(json::object()));
  EXPECT_TRUE(has_error(errors, "name"));
  EXPECT_TRUE(has_error(errors, "email"));
  EXPECT_EQ(errors.size(), 2u);
}

// nlohmann's lexer stops at a NUL byte: "{...}\0junk" parsed as "{...}".
TEST(UserValidation, ARawNulByteMakesTheBodyMalformed) {
  std::string problem;
  const std::string body{"{\"name\":\"Ada\"}\0junk", 19};
  EXPECT_FALSE(parse_json_object(body, problem));
  EXPECT_EQ(problem, "malformed JSON");
  EXPECT_TRUE(parse_json_object("{\"name\":\"Ada\"}", problem));
}

TEST(UserValidation, RejectsWrongJsonTypes) {
  auto errors = errors_of(validate_user_create(json{{"name", 42}, {"email", true}, {"age", "30"}}));
  EXPECT_EQ(errors.size(), 3u);
  errors = errors_of(validate_user_create(json{{"name", "Bob"}, {"email", "b@x.io"}, {"age", 30.5}}));
  EXPECT_TRUE(has_error(errors, "age"));
  errors = errors_of(validate_user_create(json{{"name", "Bob"}, {"email", "b@x.io"}, {"age", -1}}));
  EXPECT_TRUE(has_error(errors, "age"));
}

TEST(UserValidation, NameLengthCountsCharactersAfterTrimming) {
  EXPECT_TRUE(has_error(errors_of(validate_user_create(json{{"name", "  x  "}, {"email", "a@b.co"}})), "name"));
  EXPECT_FALSE(has_error(errors_of(validate_user_create(json{{"name", "Zoë"}, {"email", "a@b.co"}})), "name"));
  EXPECT_FALSE(has_error(errors_of(validate_user_create(json{{"name", std::string(100, 'n')}, {"email", "a@b.co"}})), "name"));
  EXPECT_TRUE(has_error(errors_of(validate_user_create(json{{"name", std::string(101, 'n')}, {"email", "a@b.co"}})), "name"));
  // 100 two-byte characters are 100 characters, not 200.
  std::string umlauts;
  for (int i = 0; i < 100; ++i)
    umlauts += "ü";
  EXPECT_FALSE(has_error(errors_of(validate_user_create(json{{"name", umlauts}, {"email", "a@b.co"}})), "name"));
}

TEST(UserValidation, RejectsControlCharactersIncludingNul) {
  auto errors = errors_of(validate_user_create(json{{"name", std::string("Bo\0b", 4)}, {"email", "a@b.co"}}));
  EXPECT_TRUE(has_error(errors, "name"));
}

TEST(UserValidation, EmailRules) {
  EXPECT_TRUE(is_valid_email("a.b+tag@sub.example.org"));
  EXPECT_FALSE(is_valid_email("a@b"));
  EXPECT_FALSE(is_valid_email("@b.com"));
  EXPECT_FALSE(is_valid_email("a..b@c.com"));
  EXPECT_FALSE(is_valid_email("a b@c.com"));
  EXPECT_FALSE(is_valid_email("a@-c.com"));
  EXPECT_FALSE(is_valid_email("a@c.com."));
  EXPECT_FALSE(is_valid_email("a@c.c0m"));
  EXPECT_FALSE(is_valid_email("a'; DROP TABLE users;--@c.com"));
  EXPECT_FALSE(is_valid_email(std::string(250, 'a') + "@b.com"));
}

// The local part has its own limit of 64 characters (RFC 5321), far below the
// 255 of the whole address: checked on its own, with short and long domains.
TEST(UserValidation, EmailLocalPartIsAtMost64Characters) {
  const std::string local64(64, 'l'), local65(65, 'l');
  const std::string long_domain = std::string(63, 'a') + "." + std::string(63, 'b') + "." + std::string(56, 'c') + ".com";
  EXPECT_TRUE(is_valid_email(local64 + "@example.com"));
  EXPECT_FALSE(is_valid_email(local65 + "@example.com"));
  EXPECT_TRUE(is_valid_email("a." + std::string(60, 'b') + ".c@example.com")) << "64 with dots";
  EXPECT_FALSE(is_valid_email("a." + std::string(61, 'b') + ".c@example.com")) << "65 with dots";
  ASSERT_EQ((local64 + "@" + long_domain).size(), 253u);
  EXPECT_TRUE(is_valid_email(local64 + "@" + long_domain));
  EXPECT_FALSE(is_valid_email(local65 + "@" + long_domain)) << "254 characters in all, under 255";

  auto create = [](const std::string& email) { return validate_user_create(json{{"name", "Ann"}, {"email", email}}); };
  EXPECT_TRUE(std::holds_alternative<user_draft>(create(local64 + "@example.com")));
  EXPECT_TRUE(has_error(errors_of(create(local65 + "@example.com")), "email"));
}

TEST(UserValidation, UpdateTakesAnySubsetAndDistinguishesNullAge) {
  auto v = validate_user_update(json{{"age", nullptr}});
  ASSERT_TRUE(std::holds_alternative<user_patch>(v));
  auto p = std::get<user_patch>(v);
  ASSERT_TRUE(p.age.has_value());
  EXPECT_FALSE(p.age->has_value());
  EXPECT_FALSE(p.name.has_value());

  auto empty = std::get<user_patch>(validate_user_update(json::object()));
  EXPECT_TRUE(empty.empty());
}

TEST(UserValidation, UpdateAppliesTheCreateRules) {
  auto v = validate_user_update(json{{"name", nullptr}, {"email", "bad"}, {"status", nullptr}});
  ASSERT_TRUE(std::holds_alternative<field_errors>(v));
  EXPECT_EQ(std::get<field_errors>(v).size(), 3u);
}

TEST(JsonBody, MalformedDeepAndNonObjectBodiesAreRefused) {
  std::string problem;
  EXPECT_FALSE(parse_json_object("{\"name\": ", problem));
  EXPECT_EQ(problem, "malformed JSON");
  EXPECT_FALSE(parse_json_object(std::string(100000, '[') + std::string(100000, ']'), problem));
  EXPECT_EQ(problem, "JSON nested too deeply");
  EXPECT_FALSE(parse_json_object("[1,2]", problem));
  EXPECT_FALSE(parse_json_object("\"\xff\xfe\"", problem));
  EXPECT_TRUE(parse_json_object("{\"a\": {\"b\": [1]}}", problem));
}
