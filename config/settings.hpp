// Every runtime setting of a service, with its default: the contract's table
// (/work/shared/API.md, "Runtime interface") plus a few operational extras.
// A plain struct, free of CAF and Beast, so any layer may include it cheaply;
// config/settings_loader.hpp fills it from file, .env, environment and flags.
// Each field's option (INI key, flag, environment variable, limits, meaning) is
// its row in config/option_rows.cpp; the defaults are the initializers below.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// Only for the two enums log::level and log::format (header-only use: no link
// dependency), so that the settings feed log::init() unchanged.
#include "observability/log.hpp"

namespace svc {

// AUTH_MODE: off (anyone reaching the port may call the API) or jwt (bearer tokens).
enum class auth_mode { off, jwt };
// Where the per-client token buckets live (RATE_LIMIT_BACKEND).
enum class rate_backend {
  local,  // in each process: N replicas let a client do N times the rate
  redis,  // in Redis, shared by every replica; the local ones decide while it is unreachable
};

struct settings {
  // Set by the caller: "user-service" or "order-service".
  std::string service_name;

  // [http]
  std::string http_host = "0.0.0.0";
  std::uint16_t http_port = 8081;  // 8082 for order-service
  // Non-zero: /metrics and /health* are served on this port only (same host), in a
  // listener of their own, and the API only on http_port. 0: all on http_port.
  std::uint16_t management_port = 0;
  std::string tls_cert_file;  // empty: plain HTTP
  std::string tls_key_file;
  std::chrono::seconds http_header_timeout{10};
  std::chrono::seconds http_idle_timeout{60};
  std::size_t max_body_bytes = 1048576;
  std::size_t max_header_bytes = 16384;
  std::size_t max_connections = 10000;
  // "*" alone, or exact origins such as "https://app.example.com".
  std::vector<std::string> cors_allowed_origins{"*"};
  // CIDR blocks ("10.0.0.0/8", canonical spelling) of the proxies whose
  // X-Forwarded-For is believed: the client address (rate limit key, access
  // log) is then the right-most forwarded address that is not one of them
  // (http/client_address.hpp). Empty: the TCP peer is the client.
  std::vector<std::string> trusted_proxies;

  // [database]
  std::string database_url =
    "postgresql://postgres@localhost:5432/users";  // "/orders" for order-service
  std::size_t db_pool_min_idle = 10;
  std::size_t db_pool_max = 100;
  std::chrono::seconds db_conn_max_lifetime{3600};
  int db_connect_retries = 5;
  std::chrono::milliseconds db_acquire_timeout{2000};
  std::chrono::seconds db_query_timeout{10};
  // false: statements go unnamed, for a pooler that moves a session's
  // transactions between server connections (PgBouncer in transaction mode).
  bool db_prepared_statements = true;

  // [idempotency]: an Idempotency-Key is kept at least this long, then forgotten
  // (within a minute), so that a retry after it creates anew.
  std::chrono::seconds idempotency_key_ttl{86400};

  // [user-service]: the HTTP client of order-service (present, unused, in user-service).
  std::string user_service_url = "http://localhost:8081";  // no trailing '/'
  std::chrono::milliseconds http_client_timeout{10000};
  int user_service_max_in_flight = 64;  // calls running at once; more are shed at once
  // How long a new order waits for user-service before it is taken unvalidated
  // (user_check "pending"); the call itself runs on, up to http_client_timeout.
  std::chrono::milliseconds user_validation_timeout{500};
  // The reconciler re-checks at most reconcile_batch pending orders per pass, one
  // pass every reconcile_interval: at most batch / interval calls a second.
  std::chrono::milliseconds user_check_reconcile_interval{5000};
  int user_check_reconcile_batch = 50;
  // order-service's own bearer token for its calls to user-service, read from
  // this file and re-read when it changes. Empty: calls carry no Authorization.
  std::string user_service_token_file;
  std::string user_service_ca_file;  // empty: the system's CAs

  // [auth]: with jwt, every /api/ request needs a bearer JWT (security/). Keys:
  // `<kid>.pem` public keys (RS256/ES256) in a directory re-read when it
  // changes, and/or an HS256 secret in a file; at least one of them. `iss` and
  // `aud` are checked only when set; exp/nbf allow `auth_clock_skew`.
  auth_mode auth = auth_mode::off;
  std::string auth_public_keys_dir;
  std::string auth_hs256_secret_file;
  std::string auth_issuer;
  std::string auth_audience;
  std::chrono::seconds auth_clock_skew{60};

  // [rate-limit], per client IP
  double rate_limit_rps = 100;  // tokens added per second; fractions allowed
  std::size_t rate_limit_burst = 100;
  rate_backend rate_limit_backend = rate_backend::local;

  // [redis]: the Redis of rate_limit_backend::redis, "redis://[[user]:password@]host[:port][/db]"
  // (config/redis_url.hpp); the password is a secret (masked for display).
  std::string redis_url = "redis://localhost:6379";

  // [breaker]
  int breaker_failure_threshold = 5;
  std::chrono::milliseconds breaker_open_timeout{30000};
  int breaker_half_open_max = 1;

  // [shutdown]
  std::chrono::milliseconds shutdown_timeout{30000};

  // [log]
  log::level log_level = log::level::info;
  log::format log_format = log::format::json;

  // [scheduler]
  // The asio I/O threads: HTTP, the actors (policy 'io'), the pipelined DB connections.
  // 0: half the CPUs the process may use, at least 1 (runtime/cpu_budget.hpp);
  // run_service() puts the number in its place before anything reads it.
  unsigned io_threads = 0;
  std::size_t scheduler_max_threads = 0;  // 0: leave CAF's default (max(cores, 4))

  // CAF's own options found in the config file or on the command line (e.g.
  // "scheduler.policy" -> "'sharing'"), already type-checked against CAF's
  // declaration. Values are in CAF's config syntax: caf::config_value::parse()
  // gives the typed value back; apply_to_caf_config() does exactly that.
  std::vector<std::pair<std::string, std::string>> caf_passthrough;

  // database_url with its secrets replaced by "***" (mask_secrets), for logs and messages.
  std::string masked_database_url() const;
};

// The defaults of one service: its name, port (8081/8082) and database (users/orders).
settings default_settings(std::string_view service_name);

// The effective configuration as ("http.port", "8081") pairs, in the order of
// --help, secrets masked, CAF pass-through options last: one log line each at start-up.
std::vector<std::pair<std::string, std::string>> effective_settings(const settings& s);

// "info", "json": the names the options accept.
std::string_view log_level_name(log::level level);
std::string_view log_format_name(log::format format);
std::string_view auth_mode_name(auth_mode mode);
std::string_view rate_backend_name(rate_backend backend);

}  // namespace svc
