#include "resilience/shared_bucket_script.hpp"

#include <algorithm>
#include <cstdio>

namespace svc {
namespace {

// Times are whole microseconds since the epoch (TIME's two fields), exact in a
// Lua number (a double) for millennia. Numbers are stored with %.17g / %.0f:
// Lua's tostring keeps 14 digits, which would round the microseconds away.
// redis.replicate_commands(): Redis before 5 refuses a write after TIME in a
// script unless its effects, not the script, are replicated; from 7 on it is a
// no-op kept for compatibility.
constexpr std::string_view script = R"lua(
if redis.replicate_commands then redis.replicate_commands() end
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local saved = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(saved[1])
local last = tonumber(saved[2])
if tokens == nil or last == nil then
  tokens = burst
  last = now
end
if now > last then
  tokens = math.min(burst, tokens + (now - last) / 1000000 * rate)
  last = now
end
local allowed = 0
local wait_ms = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  wait_ms = math.ceil((1 - tokens) / rate * 1000)
end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens), 'ts', string.format('%.0f', last))
local ttl_ms = math.min(math.ceil((burst - tokens) / rate * 1000) + 1000, 1e12)
redis.call('PEXPIRE', KEYS[1], string.format('%.0f', ttl_ms))
return {allowed, math.floor(tokens), wait_ms}
)lua";

std::string exact_text(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

}  // namespace

std::string_view shared_bucket_script() {
  return script;
}

std::string shared_bucket_key(std::string_view service, std::string_view client) {
  std::string key = "ratelimit:";
  key.append(service).append(":").append(client);
  return key;
}

std::vector<std::string> shared_bucket_arguments(const rate_limit_settings& limits) {
  return {exact_text(limits.rate_per_second), exact_text(limits.burst)};
}

std::optional<rate_decision> parse_shared_bucket_reply(const redis_value& reply) {
  if (reply.type != redis_value::kind::array || reply.elements.size() != 3)
    return std::nullopt;
  for (const auto& e : reply.elements)
    if (e.type != redis_value::kind::integer)
      return std::nullopt;
  const auto allowed = reply.elements[0].integer;
  const auto remaining = reply.elements[1].integer;
  const auto wait_ms = reply.elements[2].integer;
  if ((allowed != 0 && allowed != 1) || remaining < 0 || wait_ms < 0)
    return std::nullopt;
  rate_decision d;
  d.allowed = allowed == 1;
  d.remaining = static_cast<long>(remaining);
  if (!d.allowed) {
    // Whole seconds, rounded up, at least 1: as token_bucket::take says it.
    d.retry_after = std::chrono::seconds{std::max<std::int64_t>(1, (wait_ms + 999) / 1000)};
  }
  return d;
}

bool is_noscript_error(const redis_value& reply) {
  return reply.type == redis_value::kind::error && reply.text.rfind("NOSCRIPT", 0) == 0;
}

}  // namespace svc
