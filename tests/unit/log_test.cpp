#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "observability/log.hpp"

using namespace svc;

TEST(Log, JsonLineCarriesStandardAndExtraFields) {
  auto line = log::render(log::format::json, "2026-01-01T00:00:00.000000Z", log::level::warn,
                          "user-service", "hello \"world\"",
                          {{"request_id", "abc"}, {"status", std::int64_t{503}}, {"ok", false}});
  auto j = nlohmann::json::parse(line);
  EXPECT_EQ(j["level"], "warn");
  EXPECT_EQ(j["service"], "user-service");
  EXPECT_EQ(j["msg"], "hello \"world\"");
  EXPECT_EQ(j["request_id"], "abc");
  EXPECT_EQ(j["status"], 503);
  EXPECT_EQ(j["ok"], false);
}

TEST(Log, InvalidUtf8NeverBreaksALine) {
  auto line = log::render(log::format::json, "t", log::level::info, "s", "bad \xff byte", {});
  EXPECT_TRUE(nlohmann::json::accept(line));
}

TEST(Log, LevelNames) {
  log::level l;
  EXPECT_TRUE(log::parse_level("debug", l));
  EXPECT_EQ(l, log::level::debug);
  EXPECT_FALSE(log::parse_level("verbose", l));
}

// A request's line carries its ids and subject, set ones only, before the rest.
TEST(Log, ARequestsScopeGoesOnItsLines) {
  const log::request_scope scope{"req-1", "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7",
                                 "alice"};
  auto j = nlohmann::json::parse(log::render(log::format::json, "t", log::level::error, "s", scope,
                                             "failed", {{"operation", "users.get"}}));
  EXPECT_EQ(j["request_id"], "req-1");
  EXPECT_EQ(j["trace_id"], "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(j["span_id"], "00f067aa0ba902b7");
  EXPECT_EQ(j["sub"], "alice");
  EXPECT_EQ(j["operation"], "users.get");

  auto anonymous = nlohmann::json::parse(
    log::render(log::format::json, "t", log::level::info, "s", {"req-2", "t", "s", ""}, "m", {}));
  EXPECT_FALSE(anonymous.contains("sub"));
  EXPECT_EQ(anonymous["request_id"], "req-2");

  auto text = log::render(log::format::text, "t", log::level::info, "s", scope, "m", {});
  EXPECT_NE(text.find("sub=\"alice\""), std::string::npos) << text;
  EXPECT_NE(text.find("request_id=\"req-1\""), std::string::npos) << text;
}
