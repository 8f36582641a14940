// The pure half of the shared (Redis) token bucket: keys, arguments, and what a
// reply of the script means. The script itself runs against a real Redis in
// tests/redis/.
#include <gtest/gtest.h>

#include "resilience/shared_bucket_script.hpp"

namespace svc {
namespace {

redis_value integer(std::int64_t v) {
  redis_value r;
  r.type = redis_value::kind::integer;
  r.integer = v;
  return r;
}

redis_value array(std::vector<redis_value> elements) {
  redis_value r;
  r.type = redis_value::kind::array;
  r.elements = std::move(elements);
  return r;
}

redis_value error(std::string text) {
  redis_value r;
  r.type = redis_value::kind::error;
  r.text = std::move(text);
  return r;
}

TEST(shared_bucket_script, keys_are_per_service_and_client) {
  EXPECT_EQ(shared_bucket_key("user-service", "203.0.113.7"), "ratelimit:user-service:203.0.113.7");
  EXPECT_EQ(shared_bucket_key("order-service", "2001:db8::1"),
            "ratelimit:order-service:2001:db8::1");
  EXPECT_NE(shared_bucket_key("user-service", "a"), shared_bucket_key("order-service", "a"));
}

TEST(shared_bucket_script, arguments_are_exact_rate_and_burst) {
  EXPECT_EQ(shared_bucket_arguments({0.1, 100}),
            (std::vector<std::string>{"0.10000000000000001", "100"}));
  EXPECT_EQ(shared_bucket_arguments({2.5, 7}), (std::vector<std::string>{"2.5", "7"}));
}

TEST(shared_bucket_script, script_uses_redis_clock_and_expires_keys) {
  auto script = std::string{shared_bucket_script()};
  EXPECT_NE(script.find("redis.call('TIME')"), std::string::npos);
  EXPECT_NE(script.find("PEXPIRE"), std::string::npos);
  EXPECT_NE(script.find("KEYS[1]"), std::string::npos);
}

TEST(shared_bucket_script, allowed_reply) {
  auto d = parse_shared_bucket_reply(array({integer(1), integer(41), integer(0)}));
  ASSERT_TRUE(d);
  EXPECT_TRUE(d->allowed);
  EXPECT_EQ(d->remaining, 41);
  EXPECT_EQ(d->retry_after.count(), 0);
}

TEST(shared_bucket_script, refused_reply_rounds_the_wait_up_to_whole_seconds) {
  auto d = parse_shared_bucket_reply(array({integer(0), integer(0), integer(1)}));
  ASSERT_TRUE(d);
  EXPECT_FALSE(d->allowed);
  EXPECT_EQ(d->retry_after.count(), 1);  // at least one second
  EXPECT_EQ(
    parse_shared_bucket_reply(array({integer(0), integer(0), integer(1000)}))->retry_after.count(),
    1);
  EXPECT_EQ(
    parse_shared_bucket_reply(array({integer(0), integer(0), integer(1001)}))->retry_after.count(),
    2);
  EXPECT_EQ(parse_shared_bucket_reply(array({integer(0), integer(0), integer(100000)}))
              ->retry_after.count(),
            100);
}

TEST(shared_bucket_script, anything_else_leaves_the_decision_to_the_local_bucket) {
  EXPECT_FALSE(parse_shared_bucket_reply(error("ERR something")));
  EXPECT_FALSE(parse_shared_bucket_reply(redis_value{}));
  EXPECT_FALSE(parse_shared_bucket_reply(integer(1)));
  EXPECT_FALSE(parse_shared_bucket_reply(array({integer(1), integer(2)})));
  EXPECT_FALSE(parse_shared_bucket_reply(array({integer(2), integer(0), integer(0)})));
  EXPECT_FALSE(parse_shared_bucket_reply(array({integer(1), integer(-1), integer(0)})));
  auto text = array({integer(1), integer(2), integer(0)});
  text.elements[1].type = redis_value::kind::string;
  EXPECT_FALSE(parse_shared_bucket_reply(text));
}

TEST(shared_bucket_script, noscript_is_recognised) {
  EXPECT_TRUE(is_noscript_error(error("NOSCRIPT No matching script. Please use EVAL.")));
  EXPECT_FALSE(is_noscript_error(error("ERR unknown command")));
  EXPECT_FALSE(is_noscript_error(integer(1)));
}

}  // namespace
}  // namespace svc
