// The building blocks: value parsers and the .env reader.
#include <gtest/gtest.h>

#include "config/dotenv.hpp"
#include "config/value_parsers.hpp"

namespace svc::config_detail {
namespace {

using namespace std::chrono_literals;

TEST(value_parsers, integers_parse_fully_and_within_range) {
  EXPECT_EQ(parse_integer("8081", 1, 65535), 8081);
  EXPECT_EQ(parse_integer("-3", -5, 5), -3);
  EXPECT_FALSE(parse_integer("80a81", 1, 65535));
  EXPECT_FALSE(parse_integer("+5", 0, 10));
  EXPECT_FALSE(parse_integer(" 5", 0, 10));
  EXPECT_FALSE(parse_integer("", 0, 10));
  EXPECT_FALSE(parse_integer("11", 0, 10));
  EXPECT_FALSE(parse_integer("99999999999999999999", 0, INT64_MAX));
}

TEST(value_parsers, durations_take_caf_units_and_a_bare_unit) {
  EXPECT_EQ(parse_duration("30", 1s), 30s);
  EXPECT_EQ(parse_duration("30", 1ms), 30ms);
  EXPECT_EQ(parse_duration("30s", 1ms), 30s);
  EXPECT_EQ(parse_duration("500ms", 1s), 500ms);
  EXPECT_EQ(parse_duration("2min", 1s), 120s);
  EXPECT_EQ(parse_duration("1h", 1s), 3600s);
  EXPECT_EQ(parse_duration("75us", 1s), 75us);
  EXPECT_EQ(parse_duration("5ns", 1s), 5ns);
  EXPECT_FALSE(parse_duration("1.5s", 1s));
  EXPECT_FALSE(parse_duration("-1s", 1s));
  EXPECT_FALSE(parse_duration("10 s", 1s));
  EXPECT_FALSE(parse_duration("10m", 1s));  // minutes are "min", as in CAF
  EXPECT_FALSE(parse_duration("s", 1s));
  EXPECT_FALSE(parse_duration("9999999999999h", 1s));  // overflows nanoseconds
}

TEST(value_parsers, reals_must_be_finite_and_positive) {
  EXPECT_EQ(parse_positive_real("2.5"), 2.5);
  EXPECT_EQ(parse_positive_real("100"), 100.0);
  EXPECT_FALSE(parse_positive_real("0"));
  EXPECT_FALSE(parse_positive_real("-1"));
  EXPECT_FALSE(parse_positive_real("inf"));
  EXPECT_FALSE(parse_positive_real("1x"));
}

TEST(value_parsers, log_names_are_case_insensitive) {
  EXPECT_EQ(parse_log_level("WARN"), log::level::warn);
  EXPECT_EQ(parse_log_level("trace"), log::level::trace);
  EXPECT_FALSE(parse_log_level("warning"));
  EXPECT_EQ(parse_log_format("Text"), log::format::text);
  EXPECT_FALSE(parse_log_format("yaml"));
}

TEST(value_parsers, booleans_take_the_common_spellings_only) {
  EXPECT_EQ(parse_bool("True"), true);
  EXPECT_EQ(parse_bool("on"), true);
  EXPECT_EQ(parse_bool("1"), true);
  EXPECT_EQ(parse_bool("FALSE"), false);
  EXPECT_EQ(parse_bool("no"), false);
  EXPECT_EQ(parse_bool("0"), false);
  EXPECT_FALSE(parse_bool("yes please"));
  EXPECT_FALSE(parse_bool("t"));
  EXPECT_FALSE(parse_bool(""));
}

TEST(value_parsers, urls) {
  EXPECT_EQ(parse_postgres_url("postgresql://postgres@localhost:5432/users"),
            "postgresql://postgres@localhost:5432/users");
  EXPECT_EQ(parse_postgres_url("postgres://u:p@db/orders?sslmode=require"),
            "postgres://u:p@db/orders?sslmode=require");
  EXPECT_EQ(parse_postgres_url("postgresql:///users"), "postgresql:///users");  // Unix socket
  EXPECT_FALSE(parse_postgres_url("postgresql:users"));
  EXPECT_FALSE(parse_postgres_url("http://db/users"));
  EXPECT_FALSE(parse_postgres_url("postgresql://db:0/users"));
  EXPECT_FALSE(parse_postgres_url("postgresql://db:5432/users#x"));
  // The scheme only is lower-cased: libpq would take an upper-case one for a
  // key/value string.
  EXPECT_EQ(parse_postgres_url("POSTGRESQL://U:P@DB/Users?SSLMODE=require"),
            "postgresql://U:P@DB/Users?SSLMODE=require");
  EXPECT_EQ(parse_postgres_url("PostGres://db/users"), "postgres://db/users");

  EXPECT_EQ(parse_http_base_url("http://localhost:8081"), "http://localhost:8081");
  EXPECT_EQ(parse_http_base_url("http://users/"), "http://users");
  EXPECT_FALSE(parse_http_base_url("http://u:p@users"));
  EXPECT_FALSE(parse_http_base_url("http://users?x=1"));
  EXPECT_FALSE(parse_http_base_url("http://users:70000"));
}

TEST(value_parsers, origin_lists) {
  EXPECT_EQ(parse_origin_list("*"), std::vector<std::string>{"*"});
  EXPECT_EQ(parse_origin_list(" https://a.example , http://b.example:8080 "),
            (std::vector<std::string>{"https://a.example", "http://b.example:8080"}));
  EXPECT_FALSE(parse_origin_list("*,*"));
  EXPECT_FALSE(parse_origin_list("https://a.example,"));
  EXPECT_FALSE(parse_origin_list("null"));
}

TEST(value_parsers, hosts) {
  EXPECT_TRUE(is_listen_host("0.0.0.0"));
  EXPECT_TRUE(is_listen_host("::"));
  EXPECT_TRUE(is_listen_host("users-db.internal"));
  EXPECT_FALSE(is_listen_host("[::]"));
  EXPECT_FALSE(is_listen_host("http://x"));
}

TEST(dotenv, reads_the_usual_forms) {
  auto r = parse_dotenv(
    "# c\r\n"
    "A=1\r\n"
    "export B = two words \n"
    "C=\"say \\\"hi\\\"\\n\" # comment\n"
    "D='$HOME #raw'\n"
    "E=a#b\n"
    "F=\n"
    "A=3\n");
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(r.values.at("A").value, "3");  // the later line wins
  EXPECT_EQ(r.values.at("A").line, 8);
  EXPECT_EQ(r.values.at("B").value, "two words");
  EXPECT_EQ(r.values.at("C").value, "say \"hi\"\n");
  EXPECT_EQ(r.values.at("D").value, "$HOME #raw");
  EXPECT_EQ(r.values.at("E").value, "a#b");
  EXPECT_EQ(r.values.at("F").value, "");
}

TEST(dotenv, rejects_malformed_lines) {
  EXPECT_EQ(parse_dotenv("A=1\nB\n").error, "line 2: expected KEY=VALUE");
  EXPECT_EQ(parse_dotenv("1A=1\n").error, "line 1: expected KEY=VALUE");
  EXPECT_EQ(parse_dotenv("A='x\n").error, "line 1: unterminated single quote");
  EXPECT_EQ(parse_dotenv("A=\"x\" y\n").error, "line 1: unexpected text after the closing quote");
}

}  // namespace
}  // namespace svc::config_detail
