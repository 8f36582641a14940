// REDIS_URL: "redis://[[user]:password@]host[:port][/db]", parsed without any
// Redis client library so that the settings loader and the limiter agree on it
// and it is unit-tested on its own.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace svc {

struct redis_endpoint {
  std::string host;  // a name, an IPv4 or an IPv6 address (no brackets)
  std::uint16_t port = 6379;
  std::string username;  // Redis 6 ACL user; empty: AUTH with the password alone
  std::string password;  // percent-decoded; empty: no AUTH
  int database = 0;      // SELECT; 0 is Redis' default
};

// nullopt when `text` is not such a URL: another scheme ("rediss://" needs TLS,
// which hiredis 0.14 lacks), a query or fragment, a user info without ':' (a
// bare token could be a misplaced password), a bad percent escape, a port
// outside 1-65535 or a database number outside 0-65535.
std::optional<redis_endpoint> parse_redis_url(std::string_view text);

// `text` with everything between "://" and the last '@' shown as "***": safe to
// quote in an error line even when it does not parse (mask_secrets only knows
// "user:password@").
std::string hide_redis_user_info(std::string_view text);

}  // namespace svc
