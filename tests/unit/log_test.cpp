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
