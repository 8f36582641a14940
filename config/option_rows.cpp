// The options, one row each: the only place an option is described. --help,
// the loader, effective_settings() and the generated files (config/*.ini, their
// copies in deploy/k8s, the README's settings table; `cmake --build build
// --target update-option-docs` rewrites them, ctest option_docs checks them)
// are all made from these rows. Fields: see option_spec in option_table.hpp.
#include "config/option_table.hpp"

namespace svc::config_detail {
namespace {

using enum kind;
using s = settings;
constexpr std::chrono::milliseconds ms{1};
constexpr std::int64_t int_max = std::numeric_limits<int>::max();

std::vector<option_spec> rows() {
  return {
    // [http]
    {.group = "http", .key = "host", .env = "HTTP_HOST", .field = &s::http_host, .kind = host, .hint = "HOST",
     .meaning = "address to listen on"},
    {.group = "http", .key = "port", .env = "HTTP_PORT", .field = &s::http_port, .kind = integer, .hint = "PORT",
     .max = 65535, .what = "a port number (1-65535)", .meaning = "port to listen on"},
    {.group = "http", .key = "management-port", .env = "MANAGEMENT_PORT", .field = &s::management_port,
     .kind = integer, .hint = "PORT", .min = 0, .max = 65535, .what = "a port number (1-65535), or 0 for none",
     .meaning = "separate listener (same host) for /metrics and /health*, then off the API port; 0: the API port serves them",
     .doc = "a second listener, on the same host, for /metrics, /health, /health/live and\n"
            "/health/ready: those then answer 404 on the API port above, and the API answers\n"
            "404 on this one. 0: no second listener, the API port serves all"},
    {.group = "http", .key = "header-timeout", .env = "HTTP_HEADER_TIMEOUT", .field = &s::http_header_timeout,
     .kind = duration, .hint = "DURATION", .meaning = "time a client has to send its request headers"},
    {.group = "http", .key = "idle-timeout", .env = "HTTP_IDLE_TIMEOUT", .field = &s::http_idle_timeout,
     .kind = duration, .hint = "DURATION", .meaning = "keep-alive idle time"},
    {.group = "http", .key = "max-body-bytes", .env = "MAX_BODY_BYTES", .field = &s::max_body_bytes,
     .kind = integer, .hint = "BYTES", .meaning = "largest request body"},
    {.group = "http", .key = "max-header-bytes", .env = "MAX_HEADER_BYTES", .field = &s::max_header_bytes,
     .kind = integer, .hint = "BYTES", .meaning = "largest request header block"},
    {.group = "http", .key = "max-connections", .env = "MAX_CONNECTIONS", .field = &s::max_connections,
     .kind = integer, .hint = "N", .meaning = "open client connections at most"},
    {.group = "http", .key = "cors-allowed-origins", .env = "CORS_ALLOWED_ORIGINS",
     .field = &s::cors_allowed_origins, .kind = origins, .hint = "ORIGINS",
     .meaning = "allowed CORS origins: * or a comma list",
     .doc = "\"*\" or exact origins, as a list or a comma string,\n"
            "e.g. [\"https://app.example.com\", \"http://localhost:3000\"]"},
    {.group = "http", .key = "trusted-proxies", .env = "TRUSTED_PROXIES", .field = &s::trusted_proxies,
     .kind = cidrs, .hint = "CIDRS",
     .meaning = "CIDR list of proxies whose X-Forwarded-For names the client (rate limit key, logs); empty: none",
     .doc = "proxies whose X-Forwarded-For is believed, a CIDR list, e.g.\n"
            "[\"10.0.0.0/8\", \"fd00::/8\"] or \"10.0.0.0/8,fd00::/8\". Only when the TCP peer is one\n"
            "of them, the client (rate limit key, access log) is the right-most address in\n"
            "X-Forwarded-For that is not a trusted proxy. Empty: the header is ignored"},

    {.group = "http", .key = "tls-cert-file", .env = "TLS_CERT_FILE", .field = &s::tls_cert_file, .kind = text,
     .hint = "PATH", .what = "a file path",
     .meaning = "PEM certificate (chain) to serve HTTPS with (TLS 1.2+), re-read when it changes; empty: plain HTTP",
     .doc = "PEM certificate, with its chain, to serve the API over HTTPS (TLS 1.2 and newer)\n"
            "with; needs tls-key-file. Looked at again within a second of a change, so a\n"
            "renewed certificate is served without a restart. The management listener, if\n"
            "any, stays plain HTTP. Empty: plain HTTP"},
    {.group = "http", .key = "tls-key-file", .env = "TLS_KEY_FILE", .field = &s::tls_key_file, .kind = text,
     .hint = "PATH", .what = "a file path", .meaning = "PEM private key of tls-cert-file"},

    // [database]
    {.group = "database", .key = "url", .env = "DATABASE_URL", .field = &s::database_url, .kind = postgres_url,
     .hint = "URL", .meaning = "libpq connection URI",
     .doc = "libpq connection URI; percent-encode special characters in a password", .secret = true},
    {.group = "database", .key = "pool-min-idle", .env = "DB_POOL_MIN_IDLE", .field = &s::db_pool_min_idle,
     .kind = integer, .hint = "N", .min = 0, .max = 10000, .meaning = "connections kept open"},
    {.group = "database", .key = "pool-max", .env = "DB_POOL_MAX", .field = &s::db_pool_max, .kind = integer,
     .hint = "N", .max = 10000, .meaning = "most connections"},
    {.group = "database", .key = "conn-max-lifetime", .env = "DB_CONN_MAX_LIFETIME",
     .field = &s::db_conn_max_lifetime, .kind = duration, .hint = "DURATION",
     .meaning = "recycle a connection after this long"},
    {.group = "database", .key = "connect-retries", .env = "DB_CONNECT_RETRIES", .field = &s::db_connect_retries,
     .kind = integer, .hint = "N", .max = int_max, .meaning = "start-up connection attempts, with backoff"},
    {.group = "database", .key = "acquire-timeout", .env = "DB_ACQUIRE_TIMEOUT_MS", .field = &s::db_acquire_timeout,
     .kind = duration, .hint = "DURATION", .unit = ms,
     .meaning = "wait for a pooled connection, then 503; bare number = ms"},
    {.group = "database", .key = "query-timeout", .env = "DB_QUERY_TIMEOUT", .field = &s::db_query_timeout,
     .kind = duration, .hint = "DURATION", .meaning = "statement_timeout of every query"},
    {.group = "database", .key = "prepared-statements", .env = "DB_PREPARED_STATEMENTS",
     .field = &s::db_prepared_statements, .kind = boolean, .hint = "BOOL",
     .meaning = "prepare named statements per connection; false behind a transaction-mode pooler (PgBouncer)",
     .doc = "prepare each SQL statement once per connection under its name; false behind\n"
            "a pooler in transaction mode (PgBouncer), which cannot carry named statements:\n"
            "each is then sent with its SQL text. With false the service sets no session\n"
            "statement_timeout (the pooler would leave it on a shared server connection):\n"
            "set it for the database role instead; see README, DB pool"},

    // [idempotency]
    {.group = "idempotency", .key = "key-ttl", .env = "IDEMPOTENCY_KEY_TTL", .field = &s::idempotency_key_ttl,
     .kind = duration, .hint = "DURATION", .meaning = "keep an Idempotency-Key at least this long",
     .doc = "keep an Idempotency-Key (and the first answer it replays) at least this long;\n"
            "expired keys are deleted within a minute after"},

    // [user-service]: the HTTP client of order-service
    {.group = "user-service", .key = "url", .env = "USER_SERVICE_URL", .field = &s::user_service_url,
     .kind = http_url, .hint = "URL", .meaning = "order-service only: base URL of user-service",
     .doc = "base URL of user-service, http://host[:port] or https://host[:port]", .order_service_only = true},
    {.group = "user-service", .key = "timeout", .env = "HTTP_CLIENT_TIMEOUT", .field = &s::http_client_timeout,
     .kind = duration, .hint = "DURATION", .meaning = "timeout of a call to user-service",
     .order_service_only = true},
    {.group = "user-service", .key = "max-in-flight", .env = "USER_SERVICE_MAX_IN_FLIGHT",
     .field = &s::user_service_max_in_flight, .kind = integer, .hint = "N", .max = 65536,
     .meaning = "calls to user-service running at once; an order beyond them is taken at once, unvalidated",
     .order_service_only = true},
    {.group = "user-service", .key = "validation-timeout", .env = "USER_VALIDATION_TIMEOUT",
     .field = &s::user_validation_timeout, .kind = duration, .hint = "DURATION", .unit = ms,
     .meaning = "wait for user-service on a new order, then take it unvalidated; bare number = ms",
     .doc = "how long a new order waits for user-service before it is taken unvalidated, its\n"
            "user_check \"pending\" until the reconciler settles it; bare number = ms",
     .order_service_only = true},
    {.group = "user-service", .key = "reconcile-interval", .env = "USER_CHECK_RECONCILE_INTERVAL",
     .field = &s::user_check_reconcile_interval, .kind = duration, .hint = "DURATION",
     .meaning = "time between passes re-checking the users of unvalidated orders", .order_service_only = true},
    {.group = "user-service", .key = "reconcile-batch", .env = "USER_CHECK_RECONCILE_BATCH",
     .field = &s::user_check_reconcile_batch, .kind = integer, .hint = "N", .max = 10000,
     .meaning = "unvalidated orders re-checked per pass at most", .order_service_only = true},
    {.group = "user-service", .key = "token-file", .env = "USER_SERVICE_TOKEN_FILE",
     .field = &s::user_service_token_file, .kind = text, .hint = "PATH", .what = "a file path",
     .meaning = "order-service only: file holding its bearer token for user-service, re-read when it changes; empty: none",
     .doc = "file holding order-service's own bearer token for its calls to user-service,\n"
            "sent as \"Authorization: Bearer <token>\" and re-read when the file changes; use\n"
            "when user-service runs with [auth] mode = \"jwt\".\n"
            "Empty: no Authorization header",
     .order_service_only = true},
    {.group = "user-service", .key = "ca-file", .env = "USER_SERVICE_CA_FILE", .field = &s::user_service_ca_file,
     .kind = text, .hint = "PATH", .what = "a file path",
     .meaning = "order-service only: CA bundle (PEM) an https user-service's certificate must chain to; empty: the system's",
     .doc = "CA bundle (PEM) that an https:// user-service's certificate must chain to (its\n"
            "name must match the URL's host too). Empty: the system's CAs",
     .order_service_only = true},

    // [auth]
    {.group = "auth", .key = "mode", .env = "AUTH_MODE", .field = &s::auth, .kind = choice, .hint = "MODE",
     .what = "an auth mode", .choices = {"off", "jwt"}, .any_case = true,
     .meaning = "off, or jwt: every /api/ request needs a bearer JWT",
     .doc = "off: anyone who reaches the port may call the API. jwt: every /api/ request needs\n"
            "\"Authorization: Bearer <JWT>\" with the scope of the resource (users:read for a\n"
            "GET, users:write for a POST, PUT or DELETE; orders:... likewise); /health*,\n"
            "/metrics and /openapi.json stay open. See README, Authentication"},
    {.group = "auth", .key = "public-keys-dir", .env = "AUTH_PUBLIC_KEYS_DIR", .field = &s::auth_public_keys_dir,
     .kind = text, .hint = "DIR", .what = "a directory path",
     .meaning = "directory of <kid>.pem public keys (RS256, ES256), re-read when it changes; empty: none",
     .doc = "directory of PEM public keys, one <kid>.pem per key (RSA 2048+ for RS256, EC\n"
            "P-256 for ES256), picked by the token's kid; re-read within a second of a change,\n"
            "so keys rotate without a restart. Empty: no RS256/ES256"},
    {.group = "auth", .key = "hs256-secret-file", .env = "AUTH_HS256_SECRET_FILE",
     .field = &s::auth_hs256_secret_file, .kind = text, .hint = "PATH", .what = "a file path",
     .meaning = "file holding the HS256 secret (32 bytes at least); empty: no HS256",
     .doc = "file holding the HS256 secret (at least 32 bytes; trailing newlines stripped).\n"
            "Empty: no HS256. jwt needs this, public-keys-dir, or both"},
    {.group = "auth", .key = "issuer", .env = "AUTH_ISSUER", .field = &s::auth_issuer, .kind = text,
     .hint = "TEXT", .what = "an issuer", .meaning = "required iss claim; empty: not checked"},
    {.group = "auth", .key = "audience", .env = "AUTH_AUDIENCE", .field = &s::auth_audience, .kind = text,
     .hint = "TEXT", .what = "an audience", .meaning = "required aud claim (one of its values); empty: not checked",
     .doc = "a value the aud claim (a string or an array) must hold; empty: not checked"},
    {.group = "auth", .key = "clock-skew", .env = "AUTH_CLOCK_SKEW", .field = &s::auth_clock_skew,
     .kind = duration, .hint = "DURATION", .min = 0, .max = std::chrono::nanoseconds{std::chrono::hours{24}}.count(),
     .what = "a whole number of seconds from 0 to 86400 (e.g. 60s, 2min)",
     .meaning = "clock difference allowed on exp and nbf; bare number = seconds",
     .doc = "clock difference allowed when checking exp and nbf, 0 to 24h"},

    // [rate-limit], per client IP
    {.group = "rate-limit", .key = "rps", .env = "RATE_LIMIT_RPS", .field = &s::rate_limit_rps, .kind = real,
     .hint = "RATE", .meaning = "tokens refilled per second, per client IP; fractions allowed"},
    {.group = "rate-limit", .key = "burst", .env = "RATE_LIMIT_BURST", .field = &s::rate_limit_burst,
     .kind = integer, .hint = "N", .meaning = "bucket size per client IP"},
    {.group = "rate-limit", .key = "backend", .env = "RATE_LIMIT_BACKEND", .field = &s::rate_limit_backend,
     .kind = choice, .hint = "BACKEND", .what = "a rate limit backend", .choices = {"local", "redis"},
     .meaning = "where the buckets live: local (per process) or redis (shared by replicas; local while Redis is unreachable)",
     .doc = "where the buckets live: \"local\" (each process its own: N replicas let a client\n"
            "do N times rps) or \"redis\" (one bucket per client shared by every replica, kept\n"
            "in [redis] url; the local buckets decide while Redis is unreachable)"},

    // [redis]
    {.group = "redis", .key = "url", .env = "REDIS_URL", .field = &s::redis_url, .kind = redis_url, .hint = "URL",
     .meaning = "Redis of --rate-limit.backend=redis",
     .doc = "the Redis of [rate-limit] backend = \"redis\": redis://[[user]:password@]host[:port][/db];\n"
            "a password is a secret, shown masked: better set it through the environment",
     .secret = true},

    // [breaker]
    {.group = "breaker", .key = "failure-threshold", .env = "BREAKER_FAILURE_THRESHOLD",
     .field = &s::breaker_failure_threshold, .kind = integer, .hint = "N", .max = int_max,
     .meaning = "consecutive failures that open the breaker"},
    {.group = "breaker", .key = "open-timeout", .env = "BREAKER_OPEN_TIMEOUT", .field = &s::breaker_open_timeout,
     .kind = duration, .hint = "DURATION", .meaning = "time open before a half-open probe"},
    {.group = "breaker", .key = "half-open-max", .env = "BREAKER_HALF_OPEN_MAX", .field = &s::breaker_half_open_max,
     .kind = integer, .hint = "N", .max = int_max, .meaning = "probe calls allowed while half-open"},

    // [shutdown]
    {.group = "shutdown", .key = "timeout", .env = "SHUTDOWN_TIMEOUT", .field = &s::shutdown_timeout,
     .kind = duration, .hint = "DURATION", .meaning = "time to drain in-flight requests after SIGTERM/SIGINT"},

    // [log]
    {.group = "log", .key = "level", .env = "LOG_LEVEL", .field = &s::log_level, .kind = choice, .hint = "LEVEL",
     .what = "a log level", .choices = {"trace", "debug", "info", "warn", "error"}, .any_case = true,
     .meaning = "least severe level written: trace, debug, info, warn or error"},
    {.group = "log", .key = "format", .env = "LOG_FORMAT", .field = &s::log_format, .kind = choice,
     .hint = "FORMAT", .what = "a log format", .choices = {"json", "text"}, .any_case = true,
     .meaning = "json (one object a line) or text"},

    // [scheduler]: the rest of this group belongs to CAF (config/caf_options.cpp).
    {.group = "scheduler", .key = "io-threads", .env = "HTTP_THREADS", .field = &s::io_threads, .kind = integer,
     .hint = "N", .max = 1024,
     .meaning = "asio I/O threads: they serve HTTP, run the actors (policy 'io') and watch the pipelined DB connections"},
    {.group = "scheduler", .key = "max-threads", .env = "SCHEDULER_MAX_THREADS", .field = &s::scheduler_max_threads,
     .kind = integer, .hint = "N", .min = 0, .max = 1024,
     .meaning = "threads of CAF's own pools, 0 = CAF's default; unused with policy 'io'",
     .doc = "threads of CAF's own pools ('stealing', 'sharing'); 0 leaves CAF's default,\n"
            "max(cores, 4). Unused with 'io'"},
  };
}

}  // namespace

const std::vector<option_spec>& option_table() {
  static const std::vector<option_spec> table = rows();
  return table;
}

}  // namespace svc::config_detail
