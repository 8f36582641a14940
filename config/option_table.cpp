#include "config/option_table.hpp"

#include <algorithm>
#include <climits>
#include <cstdio>
#include <limits>
#include <type_traits>

#include "config/redis_url.hpp"
#include "config/secret_mask.hpp"
#include "config/value_parsers.hpp"
#include "http/client_address.hpp"

namespace svc::config_detail {
namespace {

using namespace std::chrono;
using reason = std::optional<std::string>;

constexpr std::int64_t unbounded = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t int_max = INT_MAX;

struct names {
  std::string_view group, key, env, meaning;
};

option_spec make(names n, std::string_view hint, decltype(option_spec::assign) assign,
                 decltype(option_spec::render) render) {
  return option_spec{n.group, n.key, n.env, hint, n.meaning, false, false, std::move(assign), std::move(render)};
}

std::string range_text(std::int64_t min, std::int64_t max) {
  if (max == unbounded)
    return "an integer >= " + std::to_string(min);
  return "an integer from " + std::to_string(min) + " to " + std::to_string(max);
}

// Counts and sizes. `what` overrides the generic "an integer from .. to ..".
template <class T>
option_spec integer_option(names n, std::string_view hint, T settings::*field, std::int64_t min,
                           std::int64_t max, std::string what = {}) {
  if (what.empty())
    what = range_text(min, max);
  return make(
    n, hint,
    [=](std::string_view text, settings& s) -> reason {
      auto v = parse_integer(text, min, max);
      if (!v)
        return quote_value(text) + " is not " + what;
      s.*field = static_cast<T>(*v);
      return std::nullopt;
    },
    [=](const settings& s) { return std::to_string(s.*field); });
}

// Renders a duration the way an operator would write it back.
std::string duration_text(nanoseconds d, nanoseconds bare_unit) {
  if (bare_unit == seconds{1} && d % seconds{1} == nanoseconds::zero())
    return std::to_string(duration_cast<seconds>(d).count()) + "s";
  if (d % milliseconds{1} == nanoseconds::zero())
    return std::to_string(duration_cast<milliseconds>(d).count()) + "ms";
  return std::to_string(d.count()) + "ns";
}

// Durations > 0. `D` is the field's precision: a value finer than it is refused,
// not rounded, so "1500ms" never quietly becomes 1s.
template <class D>
option_spec duration_option(names n, D settings::*field, nanoseconds bare_unit) {
  std::string unit_name = bare_unit == seconds{1} ? "seconds" : "milliseconds";
  std::string what = "a duration > 0 (e.g. 30s, 500ms; a bare number counts " + unit_name + ")";
  return make(
    n, "DURATION",
    [=](std::string_view text, settings& s) -> reason {
      auto v = parse_duration(text, bare_unit);
      if (!v || *v == nanoseconds::zero())
        return quote_value(text) + " is not " + what;
      if (*v % D{1} != nanoseconds::zero())
        return quote_value(text) + " is not a whole number of " +
               (std::is_same_v<D, seconds> ? "seconds" : "milliseconds");
      s.*field = duration_cast<D>(*v);
      return std::nullopt;
    },
    [=](const settings& s) { return duration_text(s.*field, bare_unit); });
}

// Free text (a path, an issuer): anything printable, empty for none. A control
// character is refused: it would only be a typo, and would break a log line.
option_spec text_option(names n, std::string_view hint, std::string settings::*field, std::string what) {
  return make(
    n, hint,
    [=](std::string_view text, settings& s) -> reason {
      for (char c : text)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
          return quote_value(text) + " is not " + what + " (it holds a control character)";
      s.*field = text;
      return std::nullopt;
    },
    [=](const settings& s) { return s.*field; });
}

std::string real_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items)
    out += (out.empty() ? "" : ",") + item;
  return out;
}

std::vector<option_spec> build_table() {
  const auto sec = nanoseconds{seconds{1}};
  const auto ms = nanoseconds{milliseconds{1}};
  std::vector<option_spec> t;

  // [http]
  t.push_back(make(
    {"http", "host", "HTTP_HOST", "address to listen on"}, "HOST",
    [](std::string_view text, settings& s) -> reason {
      if (!is_listen_host(text))
        return quote_value(text) + " is not a host name or IP address";
      s.http_host = text;
      return std::nullopt;
    },
    [](const settings& s) { return s.http_host; }));
  t.push_back(integer_option({"http", "port", "HTTP_PORT", "port to listen on"}, "PORT", &settings::http_port,
                             1, 65535, "a port number (1-65535)"));
  t.push_back(integer_option({"http", "management-port", "MANAGEMENT_PORT",
                              "separate listener (same host) for /metrics and /health*, then off the API port; 0: the API port serves them"},
                             "PORT", &settings::management_port, 0, 65535, "a port number (1-65535), or 0 for none"));
  t.push_back(duration_option(
    {"http", "header-timeout", "HTTP_HEADER_TIMEOUT", "time a client has to send its request headers"},
    &settings::http_header_timeout, sec));
  t.push_back(duration_option({"http", "idle-timeout", "HTTP_IDLE_TIMEOUT", "keep-alive idle time"},
                              &settings::http_idle_timeout, sec));
  t.push_back(integer_option({"http", "max-body-bytes", "MAX_BODY_BYTES", "largest request body"}, "BYTES",
                             &settings::max_body_bytes, 1, unbounded));
  t.push_back(integer_option({"http", "max-header-bytes", "MAX_HEADER_BYTES", "largest request header block"},
                             "BYTES", &settings::max_header_bytes, 1, unbounded));
  t.push_back(integer_option({"http", "max-connections", "MAX_CONNECTIONS", "open client connections at most"},
                             "N", &settings::max_connections, 1, unbounded));
  t.push_back(make(
    {"http", "cors-allowed-origins", "CORS_ALLOWED_ORIGINS", "allowed CORS origins: * or a comma list"},
    "ORIGINS",
    [](std::string_view text, settings& s) -> reason {
      auto origins = parse_origin_list(text);
      if (!origins)
        return quote_value(text) + " is not * or a comma list of origins (http[s]://host[:port])";
      s.cors_allowed_origins = std::move(*origins);
      return std::nullopt;
    },
    [](const settings& s) { return join(s.cors_allowed_origins); }));
  t.back().takes_list = true;
  t.push_back(make(
    {"http", "trusted-proxies", "TRUSTED_PROXIES",
     "CIDR list of proxies whose X-Forwarded-For names the client (rate limit key, logs); empty: none"},
    "CIDRS",
    [](std::string_view text, settings& s) -> reason {
      std::string why;
      auto networks = http::parse_ip_network_list(text, &why);
      if (!networks)
        return quote_value(text) + " is not a comma list of CIDR blocks such as 10.0.0.0/8, fd00::/8: " + why;
      s.trusted_proxies.clear();
      for (const auto& n : *networks)
        s.trusted_proxies.push_back(http::to_string(n));
      return std::nullopt;
    },
    [](const settings& s) { return join(s.trusted_proxies); }));
  t.back().takes_list = true;

  // [database]
  t.push_back(make(
    {"database", "url", "DATABASE_URL", "libpq connection URI"}, "URL",
    [](std::string_view text, settings& s) -> reason {
      auto url = parse_postgres_url(text);
      if (!url)  // the text may hold a password: never echo it
        return quote_value(mask_secrets(text)) +
               " is not a PostgreSQL URL (postgresql://[user[:password]@]host[:port]/dbname)";
      s.database_url = std::move(*url);
      return std::nullopt;
    },
    [](const settings& s) { return s.masked_database_url(); }));
  t.back().secret = true;
  t.push_back(integer_option({"database", "pool-min-idle", "DB_POOL_MIN_IDLE", "connections kept open"}, "N",
                             &settings::db_pool_min_idle, 0, 10000));
  t.push_back(integer_option({"database", "pool-max", "DB_POOL_MAX", "most connections"}, "N",
                             &settings::db_pool_max, 1, 10000));
  t.push_back(duration_option(
    {"database", "conn-max-lifetime", "DB_CONN_MAX_LIFETIME", "recycle a connection after this long"},
    &settings::db_conn_max_lifetime, sec));
  t.push_back(integer_option(
    {"database", "connect-retries", "DB_CONNECT_RETRIES", "start-up connection attempts, with backoff"}, "N",
    &settings::db_connect_retries, 1, int_max));
  t.push_back(duration_option({"database", "acquire-timeout", "DB_ACQUIRE_TIMEOUT_MS",
                               "wait for a pooled connection, then 503; bare number = ms"},
                              &settings::db_acquire_timeout, ms));
  t.push_back(duration_option(
    {"database", "query-timeout", "DB_QUERY_TIMEOUT", "statement_timeout of every query"},
    &settings::db_query_timeout, sec));
  t.push_back(make(
    {"database", "prepared-statements", "DB_PREPARED_STATEMENTS",
     "prepare named statements per connection; false behind a transaction-mode pooler (PgBouncer)"},
    "BOOL",
    [](std::string_view text, settings& s) -> reason {
      auto v = parse_bool(text);
      if (!v)
        return quote_value(text) + " is not a boolean (true or false)";
      s.db_prepared_statements = *v;
      return std::nullopt;
    },
    [](const settings& s) { return std::string{s.db_prepared_statements ? "true" : "false"}; }));

  // [idempotency]
  t.push_back(duration_option(
    {"idempotency", "key-ttl", "IDEMPOTENCY_KEY_TTL", "keep an Idempotency-Key at least this long"},
    &settings::idempotency_key_ttl, sec));

  // [user-service]
  t.push_back(make(
    {"user-service", "url", "USER_SERVICE_URL", "order-service only: base URL of user-service"}, "URL",
    [](std::string_view text, settings& s) -> reason {
      auto base = parse_http_base_url(text);
      if (!base)
        return quote_value(mask_secrets(text)) + " is not an http://host[:port] URL";
      s.user_service_url = std::move(*base);
      return std::nullopt;
    },
    [](const settings& s) { return mask_secrets(s.user_service_url); }));
  t.push_back(duration_option(
    {"user-service", "timeout", "HTTP_CLIENT_TIMEOUT", "timeout of a call to user-service"},
    &settings::http_client_timeout, sec));
  t.push_back(integer_option({"user-service", "max-in-flight", "USER_SERVICE_MAX_IN_FLIGHT",
                              "calls to user-service running at once; an order beyond them is taken at once, unvalidated"},
                             "N", &settings::user_service_max_in_flight, 1, 65536));
  t.push_back(duration_option({"user-service", "validation-timeout", "USER_VALIDATION_TIMEOUT",
                               "wait for user-service on a new order, then take it unvalidated; bare number = ms"},
                              &settings::user_validation_timeout, ms));
  t.push_back(duration_option({"user-service", "reconcile-interval", "USER_CHECK_RECONCILE_INTERVAL",
                               "time between passes re-checking the users of unvalidated orders"},
                              &settings::user_check_reconcile_interval, sec));
  t.push_back(integer_option({"user-service", "reconcile-batch", "USER_CHECK_RECONCILE_BATCH",
                              "unvalidated orders re-checked per pass at most"},
                             "N", &settings::user_check_reconcile_batch, 1, 10000));
  t.push_back(text_option({"user-service", "token-file", "USER_SERVICE_TOKEN_FILE",
                           "order-service only: file holding its bearer token for user-service, re-read when it changes; empty: none"},
                          "PATH", &settings::user_service_token_file, "a file path"));

  // [auth]
  t.push_back(make(
    {"auth", "mode", "AUTH_MODE", "off, or jwt: every /api/ request needs a bearer JWT"}, "MODE",
    [](std::string_view text, settings& s) -> reason {
      std::string mode{text};  // any case, like the log level
      for (auto& c : mode)
        c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
      if (mode == "off")
        s.auth = auth_mode::off;
      else if (mode == "jwt")
        s.auth = auth_mode::jwt;
      else
        return quote_value(text) + " is not an auth mode (off, jwt)";
      return std::nullopt;
    },
    [](const settings& s) { return std::string{auth_mode_name(s.auth)}; }));
  t.push_back(text_option({"auth", "public-keys-dir", "AUTH_PUBLIC_KEYS_DIR",
                           "directory of <kid>.pem public keys (RS256, ES256), re-read when it changes; empty: none"},
                          "DIR", &settings::auth_public_keys_dir, "a directory path"));
  t.push_back(text_option({"auth", "hs256-secret-file", "AUTH_HS256_SECRET_FILE",
                           "file holding the HS256 secret (32 bytes at least); empty: no HS256"},
                          "PATH", &settings::auth_hs256_secret_file, "a file path"));
  t.push_back(text_option({"auth", "issuer", "AUTH_ISSUER", "required iss claim; empty: not checked"}, "TEXT",
                          &settings::auth_issuer, "an issuer"));
  t.push_back(text_option({"auth", "audience", "AUTH_AUDIENCE", "required aud claim (one of its values); empty: not checked"},
                          "TEXT", &settings::auth_audience, "an audience"));
  t.push_back(make(
    {"auth", "clock-skew", "AUTH_CLOCK_SKEW", "clock difference allowed on exp and nbf; bare number = seconds"},
    "DURATION",
    [](std::string_view text, settings& s) -> reason {
      auto v = parse_duration(text, seconds{1});
      if (!v || *v > hours{24} || *v % seconds{1} != nanoseconds::zero())
        return quote_value(text) + " is not a whole number of seconds from 0 to 86400 (e.g. 60s, 2min)";
      s.auth_clock_skew = duration_cast<seconds>(*v);
      return std::nullopt;
    },
    [](const settings& s) { return std::to_string(s.auth_clock_skew.count()) + "s"; }));

  // [rate-limit]
  t.push_back(make(
    {"rate-limit", "rps", "RATE_LIMIT_RPS", "tokens refilled per second, per client IP"}, "RATE",
    [](std::string_view text, settings& s) -> reason {
      auto v = parse_positive_real(text);
      if (!v)
        return quote_value(text) + " is not a number > 0";
      s.rate_limit_rps = *v;
      return std::nullopt;
    },
    [](const settings& s) { return real_text(s.rate_limit_rps); }));
  t.push_back(integer_option({"rate-limit", "burst", "RATE_LIMIT_BURST", "bucket size per client IP"}, "N",
                             &settings::rate_limit_burst, 1, unbounded));
  t.push_back(make(
    {"rate-limit", "backend", "RATE_LIMIT_BACKEND",
     "where the buckets live: local (per process) or redis (shared by replicas; local while Redis is unreachable)"},
    "BACKEND",
    [](std::string_view text, settings& s) -> reason {
      if (text == "local")
        s.rate_limit_backend = rate_backend::local;
      else if (text == "redis")
        s.rate_limit_backend = rate_backend::redis;
      else
        return quote_value(text) + " is not a rate limit backend (local, redis)";
      return std::nullopt;
    },
    [](const settings& s) { return std::string{rate_backend_name(s.rate_limit_backend)}; }));

  // [redis]
  t.push_back(make(
    {"redis", "url", "REDIS_URL", "Redis of --rate-limit.backend=redis"}, "URL",
    [](std::string_view text, settings& s) -> reason {
      if (!parse_redis_url(text))  // the text may hold a password: never echo it
        return quote_value(mask_secrets(hide_redis_user_info(text))) +
               " is not a Redis URL (redis://[[user]:password@]host[:port][/db])";
      s.redis_url = text;
      return std::nullopt;
    },
    [](const settings& s) { return mask_secrets(s.redis_url); }));
  t.back().secret = true;  // a password may be in it: REDIS_URL_FILE too

  // [breaker]
  t.push_back(integer_option({"breaker", "failure-threshold", "BREAKER_FAILURE_THRESHOLD",
                              "consecutive failures that open the breaker"},
                             "N", &settings::breaker_failure_threshold, 1, int_max));
  t.push_back(duration_option(
    {"breaker", "open-timeout", "BREAKER_OPEN_TIMEOUT", "time open before a half-open probe"},
    &settings::breaker_open_timeout, sec));
  t.push_back(integer_option(
    {"breaker", "half-open-max", "BREAKER_HALF_OPEN_MAX", "probe calls allowed while half-open"}, "N",
    &settings::breaker_half_open_max, 1, int_max));

  // [shutdown]
  t.push_back(duration_option({"shutdown", "timeout", "SHUTDOWN_TIMEOUT", "time to drain in-flight requests"},
                              &settings::shutdown_timeout, sec));

  // [log]
  t.push_back(make(
    {"log", "level", "LOG_LEVEL", "least severe level written"}, "LEVEL",
    [](std::string_view text, settings& s) -> reason {
      auto v = parse_log_level(text);
      if (!v)
        return quote_value(text) + " is not a log level (trace, debug, info, warn, error)";
      s.log_level = *v;
      return std::nullopt;
    },
    [](const settings& s) { return std::string{log_level_name(s.log_level)}; }));
  t.push_back(make(
    {"log", "format", "LOG_FORMAT", "json (one object a line) or text"}, "FORMAT",
    [](std::string_view text, settings& s) -> reason {
      auto v = parse_log_format(text);
      if (!v)
        return quote_value(text) + " is not a log format (json, text)";
      s.log_format = *v;
      return std::nullopt;
    },
    [](const settings& s) { return std::string{log_format_name(s.log_format)}; }));

  // [scheduler]: the rest of this group belongs to CAF (passed through).
  t.push_back(integer_option({"scheduler", "io-threads", "HTTP_THREADS",
                              "asio I/O threads: they serve HTTP, run the actors (policy 'io') and watch the pipelined DB connections"},
                             "N", &settings::io_threads, 1, 1024));
  t.push_back(integer_option(
    {"scheduler", "max-threads", "SCHEDULER_MAX_THREADS", "threads of CAF's own pools, 0 = CAF's default; unused with policy 'io'"}, "N",
    &settings::scheduler_max_threads, 0, 1024));
  return t;
}

}  // namespace

std::string option_spec::name() const {
  return std::string{group} + "." + std::string{key};
}

std::string option_spec::flag() const {
  return "--" + name();
}

const std::vector<option_spec>& option_table() {
  static const std::vector<option_spec> table = build_table();
  return table;
}

const option_spec* find_option(std::string_view group, std::string_view key) {
  for (const auto& o : option_table())
    if (o.group == group && o.key == key)
      return &o;
  return nullptr;
}

const option_spec* find_option_by_env(std::string_view env) {
  for (const auto& o : option_table())
    if (o.env == env)
      return &o;
  return nullptr;
}

bool is_our_group(std::string_view group) {
  const auto& t = option_table();
  return std::any_of(t.begin(), t.end(), [&](const option_spec& o) { return o.group == group; });
}

std::string invalid_value_line(const option_spec& option, std::string_view reason, std::string_view source) {
  std::string line = "invalid value for " + option.flag() + " (" + std::string{option.env} + "): ";
  line += reason;
  if (!source.empty())
    line += " [from " + std::string{source} + "]";
  return line;
}

std::optional<std::string> check_consistency(const settings& s) {
  if (s.auth == auth_mode::jwt && s.auth_public_keys_dir.empty() && s.auth_hs256_secret_file.empty())
    return invalid_value_line(*find_option("auth", "mode"),
                              "jwt needs keys: set --auth.public-keys-dir (AUTH_PUBLIC_KEYS_DIR) or "
                              "--auth.hs256-secret-file (AUTH_HS256_SECRET_FILE)");
  if (s.management_port != 0 && s.management_port == s.http_port) {
    const auto& option = *find_option("http", "management-port");
    return invalid_value_line(option, std::to_string(s.management_port) + " is --http.port too: give the management "
                                                                          "listener a port of its own, or 0 for none");
  }
  if (s.db_pool_min_idle > s.db_pool_max) {
    const auto& option = *find_option("database", "pool-min-idle");
    return invalid_value_line(option, std::to_string(s.db_pool_min_idle) + " is more than --database.pool-max (" +
                                        std::to_string(s.db_pool_max) + ")");
  }
  return std::nullopt;
}

}  // namespace svc::config_detail
