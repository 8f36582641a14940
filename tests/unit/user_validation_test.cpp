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
  auto v = validate_user_create(
    json{{"name", "  Ada Lovelace "}, {"email", "Ada@Example.COM"}, {"age", 36}});
  ASSERT_TRUE(std::holds_alternative<user_draft>(v));
  auto d = std::get<user_draft>(v);
  EXPECT_EQ(d.name, "Ada Lovelace");
  EXPECT_EQ(d.email, "ada@example.com");
  EXPECT_EQ(d.age, 36);
  EXPECT_EQ(d.status, "active");
}

TEST(UserValidation, ReportsEveryOffendingField) {
  auto errors = errors_of(
    validate_user_create(json{{"name", "A"}, {"email", "nope"}, {"age", 151}, {"status", "gone"}}));
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
  json_problem problem;
  const std::string body{"{\"name\":\"Ada\"}\0junk", 19};
  EXPECT_FALSE(parse_json_object(body, problem));
  EXPECT_EQ(problem.message, "malformed JSON");
  EXPECT_TRUE(parse_json_object("{\"name\":\"Ada\"}", problem));
}

TEST(UserValidation, RejectsWrongJsonTypes) {
  auto errors = errors_of(validate_user_create(json{{"name", 42}, {"email", true}, {"age", "30"}}));
  EXPECT_EQ(errors.size(), 3u);
  errors = errors_of(
    validate_user_create(json{{"name", "Bob"}, {"email", "b@x.io"}, {"age", 30.5}}));
  EXPECT_TRUE(has_error(errors, "age"));
  errors = errors_of(validate_user_create(json{{"name", "Bob"}, {"email", "b@x.io"}, {"age", -1}}));
  EXPECT_TRUE(has_error(errors, "age"));
}

TEST(UserValidation, NameLengthCountsCharactersAfterTrimming) {
  EXPECT_TRUE(has_error(
    errors_of(validate_user_create(json{{"name", "  x  "}, {"email", "a@b.co"}})), "name"));
  EXPECT_FALSE(
    has_error(errors_of(validate_user_create(json{{"name", "Zoë"}, {"email", "a@b.co"}})), "name"));
  EXPECT_FALSE(has_error(
    errors_of(validate_user_create(json{{"name", std::string(100, 'n')}, {"email", "a@b.co"}})),
    "name"));
  EXPECT_TRUE(has_error(
    errors_of(validate_user_create(json{{"name", std::string(101, 'n')}, {"email", "a@b.co"}})),
    "name"));
  // 100 two-byte characters are 100 characters, not 200.
  std::string umlauts;
  for (int i = 0; i < 100; ++i)
    umlauts += "ü";
  EXPECT_FALSE(has_error(
    errors_of(validate_user_create(json{{"name", umlauts}, {"email", "a@b.co"}})), "name"));
}

TEST(UserValidation, RejectsControlCharactersIncludingNul) {
  auto errors = errors_of(
    validate_user_create(json{{"name", std::string("Bo\0b", 4)}, {"email", "a@b.co"}}));
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
  const std::string long_domain = std::string(63, 'a') + "." + std::string(63, 'b') + "." +
                                  std::string(56, 'c') + ".com";
  EXPECT_TRUE(is_valid_email(local64 + "@example.com"));
  EXPECT_FALSE(is_valid_email(local65 + "@example.com"));
  EXPECT_TRUE(is_valid_email("a." + std::string(60, 'b') + ".c@example.com")) << "64 with dots";
  EXPECT_FALSE(is_valid_email("a." + std::string(61, 'b') + ".c@example.com")) << "65 with dots";
  ASSERT_EQ((local64 + "@" + long_domain).size(), 253u);
  EXPECT_TRUE(is_valid_email(local64 + "@" + long_domain));
  EXPECT_FALSE(is_valid_email(local65 + "@" + long_domain)) << "254 characters in all, under 255";

  auto create = [](const std::string& email) {
    return validate_user_create(json{{"name", "Ann"}, {"email", email}});
  };
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
  json_problem problem;
  EXPECT_FALSE(parse_json_object("{\"name\": ", problem));
  EXPECT_EQ(problem.message, "malformed JSON");
  EXPECT_FALSE(parse_json_object(std::string(100000, '[') + std::string(100000, ']'), problem));
  EXPECT_EQ(problem.message, "JSON nested too deeply");
  EXPECT_FALSE(parse_json_object("[1,2]", problem));
  EXPECT_FALSE(parse_json_object("\"\xff\xfe\"", problem));
  EXPECT_TRUE(parse_json_object("{\"a\": {\"b\": [1]}}", problem));
}

// I-JSON (RFC 7493): which of two same-named members counts differs between
// parsers, so neither is taken.
TEST(JsonBody, RepeatedMemberNamesAreRefusedAtAnyLevel) {
  json_problem problem;
  EXPECT_FALSE(parse_json_object(R"({"name":"aa","name":"bb"})", problem));
  EXPECT_EQ(problem.message, "JSON member name \"name\" appears more than once");
  EXPECT_TRUE(problem.field.empty());
  EXPECT_FALSE(parse_json_object(R"({"a":{"x":1,"y":2,"x":3}})", problem));
  EXPECT_FALSE(parse_json_object(R"({"a":[{"x":1},{"x":2,"x":2}]})", problem));
  // The empty name is a name too (found by fuzz_order_body).
  EXPECT_FALSE(parse_json_object(R"({"":1,"":0})", problem));
  EXPECT_EQ(problem.message, "JSON member name \"\" appears more than once");
  // The same name in sibling or nested objects is no repetition.
  EXPECT_TRUE(parse_json_object(R"({"x":{"x":1},"y":[{"x":1},{"x":2}]})", problem));
}

TEST(JsonBody, ANumberOutOfRangeIsTheErrorOfItsField) {
  json_problem problem;
  EXPECT_FALSE(parse_json_object(R"({"name":"Ada","age":1e400})", problem));
  EXPECT_EQ(problem.field, "age");
  EXPECT_FALSE(parse_json_object(R"({"price":-1E+999,"quantity":1})", problem));
  EXPECT_EQ(problem.field, "price");
  EXPECT_FALSE(parse_json_object(R"({"tags":[1, {"deep": 1e999}]})", problem));
  EXPECT_EQ(problem.field, "tags");
  EXPECT_TRUE(parse_json_object(R"({"age":1e300})", problem)) << "large but representable";
}

// Names are read by people: blank and invisible characters do not count towards
// the minimum, and controls that hide or reorder text are refused.
TEST(UserValidation, NamesAreTrimmedOfUnicodeBlanks) {
  auto v = validate_user_create(
    json{{"name", "\u00a0\u3000Ada Lovelace\u200b\ufeff\u2003"}, {"email", "ada@example.com"}});
  ASSERT_TRUE(std::holds_alternative<user_draft>(v));
  EXPECT_EQ(std::get<user_draft>(v).name, "Ada Lovelace");
}

TEST(UserValidation, InvisibleNamesAreRefused) {
  for (const std::string name : {"\u00a0\u00a0", "\u200b\u200b\u200b", "\u00a0\u200b\u3000\u2003",
                                 "a\u200b", "\u200ba\u200d\u00a0", "\u00ad\u2060a"}) {
    SCOPED_TRACE(name);
    auto errors = errors_of(
      validate_user_create(json{{"name", name}, {"email", "ada@example.com"}}));
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0].field, "name");
  }
}

TEST(UserValidation, ControlAndBidiCharactersInNamesAreRefused) {
  for (const std::string name :
       {"Ada\u0085Lovelace", "Ada\u009bX", "Ada\u202eecalevoL", "Ada\u2066x\u2069", "Ada\u200fL",
        "Ada\u061cL", "Ada\tLovelace", "Ada\x7fL"}) {
    SCOPED_TRACE(name);
    auto errors = errors_of(
      validate_user_create(json{{"name", name}, {"email", "ada@example.com"}}));
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0].field, "name");
    EXPECT_EQ(errors[0].message, "must not contain control characters");
  }
  // Letters of any script and the joiners they need (emoji sequences) pass.
  for (const std::string name :
       {"Zoë Ñúñez", "李小龙", "Ada \U0001F469\u200d\U0001F4BB", "O\u2019Brien"}) {
    SCOPED_TRACE(name);
    EXPECT_TRUE(std::holds_alternative<user_draft>(
      validate_user_create(json{{"name", name}, {"email", "a@example.com"}})));
  }
}
