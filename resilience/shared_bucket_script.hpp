// The token bucket of resilience/token_bucket, kept in Redis so that every
// replica of a service draws from one bucket per client: the Lua script that
// takes a token in one atomic round trip, its arguments, and the reading of its
// reply. Free of any Redis client library (the reply comes in as redis_value),
// so it is unit-tested without Redis; actors/redis_connection.* does the I/O.
//
// The clock is Redis' own (TIME inside the script), not the caller's: the
// replicas then agree on "now" whatever their hosts' clocks say. With the
// callers' clocks a replica running ahead would refill a bucket early (its
// skew times the rate in free tokens) and one running behind would see no
// refill at all until its clock caught up. One clock also makes the refill of a
// key exactly the arithmetic of token_bucket::take.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "resilience/token_bucket.hpp"

namespace svc {

// A Redis reply, as much of RESP2 as the limiter reads.
struct redis_value {
  enum class kind { nil, integer, string, status, error, array };
  kind type = kind::nil;
  std::int64_t integer = 0;
  std::string text;  // string, status, error
  std::vector<redis_value> elements;
};

// The Lua source: KEYS[1] the bucket, ARGV[1] tokens per second, ARGV[2]
// capacity; returns {allowed 0/1, whole tokens left, milliseconds until one
// token is back (0 when allowed)}. The key expires once the bucket would be
// full again: forgetting a full bucket changes nothing.
std::string_view shared_bucket_script();

// "ratelimit:<service>:<client>": one bucket per service and client, so that
// user-service and order-service never share one.
std::string shared_bucket_key(std::string_view service, std::string_view client);

// ARGV of the script for `limits` (rate and burst as exact decimal text).
std::vector<std::string> shared_bucket_arguments(const rate_limit_settings& limits);

// The decision in a reply of the script; nullopt for anything else (an error
// reply, a wrong shape), when the local bucket has to decide.
std::optional<rate_decision> parse_shared_bucket_reply(const redis_value& reply);

// True for the error Redis gives EVALSHA when it does not know the script
// (restarted, SCRIPT FLUSH): send EVAL with the source instead.
bool is_noscript_error(const redis_value& reply);

}  // namespace svc
