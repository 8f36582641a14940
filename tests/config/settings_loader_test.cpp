// Layering of the loader: defaults < config file < .env < environment < flags,
// CAF pass-through, --help, and the effective-settings rendering.
#include <caf/actor_system_config.hpp>
#include <caf/atom.hpp>
#include <caf/settings.hpp>

#include "config/secret_mask.hpp"
#include "config_test_support.hpp"

namespace svc {
namespace {

using namespace std::chrono_literals;
using loader_test = testing::config_dir;

TEST_F(loader_test, user_service_defaults_follow_the_contract) {
  auto s = ok();
  EXPECT_EQ(s.service_name, "user-service");
  EXPECT_EQ(s.http_host, "0.0.0.0");
  EXPECT_EQ(s.http_port, 8081);
  EXPECT_EQ(s.management_port, 0);
  EXPECT_TRUE(s.trusted_proxies.empty());
  EXPECT_EQ(s.database_url, "postgresql://postgres@localhost:5432/users");
  EXPECT_EQ(s.db_pool_min_idle, 10u);
  EXPECT_EQ(s.db_pool_max, 100u);
  EXPECT_EQ(s.db_conn_max_lifetime, 3600s);
  EXPECT_EQ(s.db_connect_retries, 5);
  EXPECT_TRUE(s.db_prepared_statements);
  EXPECT_EQ(s.user_service_url, "http://localhost:8081");
  EXPECT_EQ(s.http_client_timeout, 10s);
  EXPECT_EQ(s.user_service_max_in_flight, 64);
  EXPECT_EQ(s.rate_limit_rps, 100.0);
  EXPECT_EQ(s.rate_limit_burst, 100u);
  EXPECT_EQ(s.rate_limit_backend, rate_backend::local);
  EXPECT_EQ(s.redis_url, "redis://localhost:6379");
  EXPECT_EQ(s.breaker_failure_threshold, 5);
  EXPECT_EQ(s.breaker_open_timeout, 30s);
  EXPECT_EQ(s.breaker_half_open_max, 1);
  EXPECT_EQ(s.shutdown_timeout, 30s);
  EXPECT_EQ(s.max_body_bytes, 1048576u);
  EXPECT_EQ(s.cors_allowed_origins, std::vector<std::string>{"*"});
  EXPECT_EQ(s.log_level, log::level::info);
  EXPECT_EQ(s.log_format, log::format::json);
  // extras
  EXPECT_EQ(s.io_threads, 0u);  // half the CPUs, decided at start-up (runtime/cpu_budget.hpp)
  EXPECT_EQ(s.scheduler_max_threads, 0u);
  EXPECT_EQ(s.db_acquire_timeout, 2000ms);
  EXPECT_EQ(s.db_query_timeout, 10s);
  EXPECT_EQ(s.http_header_timeout, 10s);
  EXPECT_EQ(s.http_idle_timeout, 60s);
  EXPECT_EQ(s.max_connections, 10000u);
  EXPECT_EQ(s.max_header_bytes, 16384u);
  EXPECT_TRUE(s.caf_passthrough.empty());
  // authentication: off unless asked for
  EXPECT_EQ(s.auth, auth_mode::off);
  EXPECT_EQ(s.auth_public_keys_dir, "");
  EXPECT_EQ(s.auth_hs256_secret_file, "");
  EXPECT_EQ(s.auth_issuer, "");
  EXPECT_EQ(s.auth_audience, "");
  EXPECT_EQ(s.auth_clock_skew, 60s);
  EXPECT_EQ(s.user_service_token_file, "");
}

TEST_F(loader_test, order_service_defaults_differ_in_port_and_database) {
  auto s = ok({}, {}, "order-service");
  EXPECT_EQ(s.service_name, "order-service");
  EXPECT_EQ(s.http_port, 8082);
  EXPECT_EQ(s.database_url, "postgresql://postgres@localhost:5432/orders");
  EXPECT_EQ(s.user_service_url, "http://localhost:8081");
}

TEST_F(loader_test, unknown_service_name_is_an_error) {
  auto r = load({}, {}, "billing-service");
  EXPECT_EQ(r.kind, load_result::error);
  EXPECT_NE(r.text.find("billing-service"), std::string::npos);
}

TEST_F(loader_test, config_file_overrides_defaults_in_every_group) {
  write_ini(R"(; a comment
[http]
host = "127.0.0.1"
port = 9000
management-port = 9001
header-timeout = 5s
idle-timeout = 2min
max-body-bytes = 2048
max-header-bytes = 4096
max-connections = 50
cors-allowed-origins = ["https://a.example", "http://b.example:8080"]
trusted-proxies = ["10.0.0.0/8", "FD00::/8", "192.168.1.7"]
[database]
url = "postgres://app:secret@db:5433/users?sslmode=disable"
pool-min-idle = 2
pool-max = 20
conn-max-lifetime = 1h
connect-retries = 3
acquire-timeout = 750
query-timeout = 30
prepared-statements = false
[user-service]
url = "http://users:8081/"
timeout = 1500ms
max-in-flight = 8
token-file = "/run/secrets/user-service-token"
[auth]
mode = "jwt"
public-keys-dir = "/etc/svc/keys"
hs256-secret-file = "/run/secrets/hs256"
issuer = "https://issuer.example"
audience = "microservices"
clock-skew = 2min
[rate-limit]
rps = 2.5
burst = 7
backend = "redis"
[redis]
url = "redis://:s3cr3t@cache:6380/2"
[breaker]
failure-threshold = 3
open-timeout = 10
half-open-max = 2
[shutdown]
timeout = 45s
[log]
level = "debug"
format = 'text'
[scheduler]
io-threads = 4
max-threads = 3
)");
  auto s = ok();
  EXPECT_EQ(s.http_host, "127.0.0.1");
  EXPECT_EQ(s.http_port, 9000);
  EXPECT_EQ(s.management_port, 9001);
  EXPECT_EQ(s.io_threads, 4u);
  EXPECT_EQ(s.http_header_timeout, 5s);
  EXPECT_EQ(s.http_idle_timeout, 120s);
  EXPECT_EQ(s.max_body_bytes, 2048u);
  EXPECT_EQ(s.max_header_bytes, 4096u);
  EXPECT_EQ(s.max_connections, 50u);
  EXPECT_EQ(s.cors_allowed_origins,
            (std::vector<std::string>{"https://a.example", "http://b.example:8080"}));
  EXPECT_EQ(s.trusted_proxies,
            (std::vector<std::string>{"10.0.0.0/8", "fd00::/8", "192.168.1.7/32"}));
  EXPECT_EQ(s.database_url, "postgres://app:secret@db:5433/users?sslmode=disable");
  EXPECT_EQ(s.db_pool_min_idle, 2u);
  EXPECT_EQ(s.db_pool_max, 20u);
  EXPECT_EQ(s.db_conn_max_lifetime, 3600s);
  EXPECT_EQ(s.db_connect_retries, 3);
  EXPECT_EQ(s.db_acquire_timeout, 750ms);  // a bare number counts milliseconds here
  EXPECT_EQ(s.db_query_timeout, 30s);
  EXPECT_FALSE(s.db_prepared_statements);
  EXPECT_EQ(s.user_service_url, "http://users:8081");  // trailing '/' dropped
  EXPECT_EQ(s.http_client_timeout, 1500ms);
  EXPECT_EQ(s.user_service_max_in_flight, 8);
  EXPECT_EQ(s.user_service_token_file, "/run/secrets/user-service-token");
  EXPECT_EQ(s.auth, auth_mode::jwt);
  EXPECT_EQ(s.auth_public_keys_dir, "/etc/svc/keys");
  EXPECT_EQ(s.auth_hs256_secret_file, "/run/secrets/hs256");
  EXPECT_EQ(s.auth_issuer, "https://issuer.example");
  EXPECT_EQ(s.auth_audience, "microservices");
  EXPECT_EQ(s.auth_clock_skew, 120s);
  EXPECT_EQ(s.rate_limit_rps, 2.5);
  EXPECT_EQ(s.rate_limit_burst, 7u);
  EXPECT_EQ(s.rate_limit_backend, rate_backend::redis);
  EXPECT_EQ(s.redis_url, "redis://:s3cr3t@cache:6380/2");
  EXPECT_EQ(s.breaker_failure_threshold, 3);
  EXPECT_EQ(s.breaker_open_timeout, 10s);
  EXPECT_EQ(s.breaker_half_open_max, 2);
  EXPECT_EQ(s.shutdown_timeout, 45s);
  EXPECT_EQ(s.log_level, log::level::debug);
  EXPECT_EQ(s.log_format, log::format::text);
  EXPECT_EQ(s.scheduler_max_threads, 3u);
}

TEST_F(loader_test, each_layer_overrides_the_ones_below) {
  write_ini(
    "[http]\nport = 9001\nhost = \"10.0.0.1\"\n[scheduler]\nio-threads = 3\n[log]\nlevel = \"warn\"\n");
  write(".env", "HTTP_PORT=9002\nHTTP_HOST=10.0.0.2\nHTTP_THREADS=5\n");
  auto s = ok({"--http.port=9004"}, {{"HTTP_PORT", "9003"}, {"HTTP_HOST", "10.0.0.3"}});
  EXPECT_EQ(s.http_port, 9004);              // flag > environment
  EXPECT_EQ(s.http_host, "10.0.0.3");        // environment > .env
  EXPECT_EQ(s.io_threads, 5u);               // .env > config file
  EXPECT_EQ(s.log_level, log::level::warn);  // config file > default
  EXPECT_EQ(s.http_idle_timeout, 60s);       // default
}

// HTTPS needs the certificate and its key: one without the other is a mistake
// to stop at, not plain HTTP served to someone who asked for encryption.
TEST_F(loader_test, tls_needs_both_the_certificate_and_the_key) {
  for (const char* name : {"TLS_CERT_FILE", "TLS_KEY_FILE"}) {
    auto line = error({}, {{name, "/etc/ssl/service.pem"}});
    EXPECT_NE(line.find(name), std::string::npos) << line;
    EXPECT_NE(line.find("needs both"), std::string::npos) << line;
  }
  auto s = ok({}, {{"TLS_CERT_FILE", "/etc/ssl/cert.pem"},
                   {"TLS_KEY_FILE", "/etc/ssl/key.pem"},
                   {"USER_SERVICE_CA_FILE", "/etc/ssl/ca.pem"},
                   {"USER_SERVICE_URL", "https://users:8443"}});
  EXPECT_EQ(s.tls_cert_file, "/etc/ssl/cert.pem");
  EXPECT_EQ(s.tls_key_file, "/etc/ssl/key.pem");
  EXPECT_EQ(s.user_service_ca_file, "/etc/ssl/ca.pem");
  EXPECT_EQ(s.user_service_url, "https://users:8443");
  ok({}, {{"TLS_CERT_FILE", ""}});  // empty: not set
}

TEST_F(loader_test, dotenv_quotes_comments_and_export_are_understood) {
  write(".env",
        "# deployment settings\n"
        "export LOG_LEVEL=error\n"
        "LOG_FORMAT='text'\n"
        "DATABASE_URL=\"postgresql://u:p%23w@db/users\"\n"
        "HTTP_HOST=10.1.1.1   # inline comment\n"
        "\n"
        "POSTGRES_PASSWORD=not-ours-and-ignored\n");
  auto s = ok();
  EXPECT_EQ(s.log_level, log::level::error);
  EXPECT_EQ(s.log_format, log::format::text);
  EXPECT_EQ(s.database_url, "postgresql://u:p%23w@db/users");
  EXPECT_EQ(s.http_host, "10.1.1.1");
}

TEST_F(loader_test, both_flag_forms_and_the_last_flag_wins) {
  auto s = ok(
    {"--http.port", "9100", "--log.level=trace", "--http.port=9101", "--database.pool-max", "17"});
  EXPECT_EQ(s.http_port, 9101);
  EXPECT_EQ(s.log_level, log::level::trace);
  EXPECT_EQ(s.db_pool_max, 17u);
}

TEST_F(loader_test, config_file_flag_replaces_the_default_file) {
  write_ini("[http]\nport = 9001\n");
  write("conf/other.ini", "[http]\nport = 9201\n");
  EXPECT_EQ(ok({"--config-file=conf/other.ini"}).http_port, 9201);
  EXPECT_EQ(ok({"--config-file", (dir_ / "conf/other.ini").string()}).http_port, 9201);
}

TEST_F(loader_test, missing_config_file_given_by_flag_is_an_error) {
  auto line = error({"--config-file=nope.ini"});
  EXPECT_NE(line.find("nope.ini"), std::string::npos) << line;
  EXPECT_NE(line.find("not found"), std::string::npos) << line;
}

TEST_F(loader_test, missing_default_config_file_is_fine) {
  EXPECT_EQ(ok().http_port, 8081);
}

TEST_F(loader_test, caf_options_pass_through_type_checked) {
  write_ini(
    "[scheduler]\npolicy = 'sharing'\nmax-throughput = 50\nmax-threads = 2\n"
    "[work-stealing]\nmoderate-sleep-duration = 75us\n");
  auto s = ok();
  EXPECT_EQ(s.scheduler_max_threads, 2u);
  using entry = std::pair<std::string, std::string>;
  EXPECT_EQ(s.caf_passthrough,
            (std::vector<entry>{{"scheduler.max-throughput", "50"},
                                {"scheduler.policy", "'sharing'"},
                                {"work-stealing.moderate-sleep-duration", "75us"}}));
  // A flag for a CAF option overrides the file's value.
  auto t = ok({"--scheduler.policy=stealing"});
  EXPECT_EQ(t.caf_passthrough.at(1), (entry{"scheduler.policy", "'stealing'"}));

  caf::actor_system_config cfg;
  apply_to_caf_config(s, cfg);
  EXPECT_EQ(caf::get_or(cfg.content, "scheduler.policy", caf::atom("stealing")),
            caf::atom("sharing"));
  EXPECT_EQ(caf::get_or(cfg.content, "scheduler.max-throughput", std::size_t{0}), 50u);
  EXPECT_EQ(caf::get_or(cfg.content, "scheduler.max-threads", std::size_t{0}), 2u);
}

TEST_F(loader_test, caf_options_of_the_wrong_type_or_unknown_are_errors) {
  write_ini("[scheduler]\npolicy = \"sharing\"\n");
  auto line = error();
  EXPECT_NE(line.find("--scheduler.policy"), std::string::npos) << line;
  EXPECT_NE(line.find("atom"), std::string::npos) << line;

  write_ini("[scheduler]\nmax-throughput = -5\n");
  EXPECT_NE(error().find("--scheduler.max-throughput"), std::string::npos);

  // Found by fuzz_config_loader: CAF prints a string's CR as it is; error() checks for one line.
  write_ini("[scheduler]\npolicy = \"shar\ring\"\n");
  EXPECT_NE(error().find("\"shar\\x0ding\" is not of the type CAF expects"), std::string::npos);

  write_ini("[scheduler]\npolcy = 'sharing'\n");
  line = error();
  EXPECT_NE(line.find("unknown key \"polcy\" in [scheduler]"), std::string::npos) << line;

  write_ini("");
  line = error({"--scheduler.max-throughput=lots"});
  EXPECT_NE(line.find("--scheduler.max-throughput"), std::string::npos) << line;
}

// Found by fuzz_config_loader: CAF converts "<n>s" to nanoseconds unchecked, so
// 36028797018963998s (2^55 + 30 s) wrapped around to 30s and was taken.
TEST_F(loader_test, durations_past_the_nanosecond_range_are_errors) {
  for (const char* value : {"36028797018963998s", "9300000000s", "2562048h", "0x7fffffffffs",
                            "[1s, 9999999999999ms]"}) {
    write_ini(std::string{"; about\n[shutdown]\ntimeout = "} + value + "\n");
    auto line = error();
    EXPECT_NE(line.find("line 3"), std::string::npos) << value << ": " << line;
    EXPECT_NE(line.find("duration out of range"), std::string::npos) << value << ": " << line;
  }
  write_ini(
    "[shutdown]\ntimeout = 9223372036s\n[http]\nhost = \"99999999999999s\" ; 99999999999999h\n");
  auto s = ok();
  EXPECT_EQ(s.shutdown_timeout, std::chrono::seconds{9223372036});
  EXPECT_EQ(s.http_host, "99999999999999s");
  write_ini("");
  auto line = error({"--work-stealing.moderate-sleep-duration=99999999999s"});
  EXPECT_NE(line.find("out of range"), std::string::npos) << line;
}

// DB_PREPARED_STATEMENTS, the one boolean: INI's true/false, and the spellings an
// environment file or a shell script uses, through every layer.
TEST_F(loader_test, prepared_statements_is_a_boolean_in_every_layer) {
  write_ini("[database]\nprepared-statements = false\n");
  EXPECT_FALSE(ok().db_prepared_statements);
  EXPECT_TRUE(ok({"--database.prepared-statements=true"}).db_prepared_statements);
  EXPECT_TRUE(ok({}, {{"DB_PREPARED_STATEMENTS", "TRUE"}}).db_prepared_statements);
  write_ini("");
  for (const char* off : {"false", "0", "no", "off", "False", " false "})
    EXPECT_FALSE(ok({}, {{"DB_PREPARED_STATEMENTS", off}}).db_prepared_statements) << off;
  for (const char* on : {"true", "1", "yes", "on"})
    EXPECT_TRUE(ok({}, {{"DB_PREPARED_STATEMENTS", on}}).db_prepared_statements) << on;
  write(".env", "DB_PREPARED_STATEMENTS=false\n");
  EXPECT_FALSE(ok().db_prepared_statements);
  std::map<std::string, std::string> by_key;
  for (const auto& [key, value] : effective_settings(ok()))
    by_key[key] = value;
  EXPECT_EQ(by_key.at("database.prepared-statements"), "false");
}

TEST_F(loader_test, trusted_proxies_is_a_cidr_list_in_every_layer) {
  EXPECT_TRUE(ok().trusted_proxies.empty());
  EXPECT_EQ(ok({}, {{"TRUSTED_PROXIES", " 10.0.0.0/8 , 2001:DB8::/32,127.0.0.1"}}).trusted_proxies,
            (std::vector<std::string>{"10.0.0.0/8", "2001:db8::/32", "127.0.0.1/32"}));
  EXPECT_TRUE(ok({}, {{"TRUSTED_PROXIES", ""}}).trusted_proxies.empty());
  EXPECT_EQ(ok({"--http.trusted-proxies=172.16.0.0/12"}, {{"TRUSTED_PROXIES", "10.0.0.0/8"}})
              .trusted_proxies,
            (std::vector<std::string>{"172.16.0.0/12"}));
  write_ini("[http]\ntrusted-proxies = \"10.0.0.0/8,fd00::/8\"\n");
  EXPECT_EQ(ok().trusted_proxies, (std::vector<std::string>{"10.0.0.0/8", "fd00::/8"}));
  write_ini("[http]\ntrusted-proxies = []\n");
  EXPECT_TRUE(ok().trusted_proxies.empty());
  write_ini("");
  write(".env", "TRUSTED_PROXIES=192.168.0.0/16\n");
  EXPECT_EQ(ok().trusted_proxies, (std::vector<std::string>{"192.168.0.0/16"}));
  std::map<std::string, std::string> by_key;
  for (const auto& [key, value] :
       effective_settings(ok({}, {{"TRUSTED_PROXIES", "10.0.0.0/8,fd00::/8"}})))
    by_key[key] = value;
  EXPECT_EQ(by_key.at("http.trusted-proxies"), "10.0.0.0/8,fd00::/8");
}

TEST_F(loader_test, help_lists_every_option_with_its_default) {
  auto r = load({"--http.port=bad", "--help"});  // help wins over a bad flag
  ASSERT_EQ(r.kind, load_result::help);
  for (const char* text : {"--http.host",
                           "HTTP_HOST",
                           "--http.port=PORT",
                           "HTTP_PORT",
                           "default: 8081",
                           "--database.url",
                           "DATABASE_URL",
                           "postgresql://postgres@localhost:5432/users",
                           "DB_POOL_MIN_IDLE",
                           "DB_POOL_MAX",
                           "DB_CONN_MAX_LIFETIME",
                           "DB_CONNECT_RETRIES",
                           "--database.prepared-statements=BOOL",
                           "DB_PREPARED_STATEMENTS",
                           "USER_SERVICE_URL",
                           "HTTP_CLIENT_TIMEOUT",
                           "USER_SERVICE_MAX_IN_FLIGHT",
                           "USER_VALIDATION_TIMEOUT",
                           "USER_CHECK_RECONCILE_INTERVAL",
                           "USER_CHECK_RECONCILE_BATCH",
                           "RATE_LIMIT_RPS",
                           "RATE_LIMIT_BURST",
                           "--rate-limit.backend=BACKEND",
                           "RATE_LIMIT_BACKEND",
                           "--redis.url=URL",
                           "REDIS_URL",
                           "redis://localhost:6379",
                           "BREAKER_FAILURE_THRESHOLD",
                           "BREAKER_OPEN_TIMEOUT",
                           "BREAKER_HALF_OPEN_MAX",
                           "SHUTDOWN_TIMEOUT",
                           "MAX_BODY_BYTES",
                           "CORS_ALLOWED_ORIGINS",
                           "LOG_LEVEL",
                           "LOG_FORMAT",
                           "--http.trusted-proxies=CIDRS",
                           "TRUSTED_PROXIES",
                           "--http.management-port=PORT",
                           "MANAGEMENT_PORT",
                           "HTTP_THREADS",
                           "SCHEDULER_MAX_THREADS",
                           "DB_ACQUIRE_TIMEOUT_MS",
                           "DB_QUERY_TIMEOUT",
                           "HTTP_HEADER_TIMEOUT",
                           "HTTP_IDLE_TIMEOUT",
                           "MAX_CONNECTIONS",
                           "MAX_HEADER_BYTES",
                           "[auth]",
                           "--auth.mode=MODE",
                           "AUTH_MODE",
                           "default: off",
                           "AUTH_PUBLIC_KEYS_DIR",
                           "AUTH_HS256_SECRET_FILE",
                           "AUTH_ISSUER",
                           "AUTH_AUDIENCE",
                           "AUTH_CLOCK_SKEW",
                           "default: 60s",
                           "--user-service.token-file=PATH",
                           "USER_SERVICE_TOKEN_FILE",
                           "DATABASE_URL_FILE=PATH",
                           "--config-file",
                           "--help",
                           "[scheduler]",
                           "[work-stealing]"})
    EXPECT_NE(r.text.find(text), std::string::npos) << text;

  auto order = load({"-h"}, {}, "order-service");
  ASSERT_EQ(order.kind, load_result::help);
  EXPECT_NE(order.text.find("default: 8082"), std::string::npos);
  EXPECT_NE(order.text.find("5432/orders"), std::string::npos);
}

TEST_F(loader_test, shipped_ini_files_parse_and_hold_the_defaults) {
  for (std::string service : {"user-service", "order-service"}) {
    auto path = std::string{SVC_CONFIG_SOURCE_DIR} + "/" + service + ".ini";
    auto s = ok({"--config-file=" + path}, {}, service);
    auto expected = effective_settings(default_settings(service));
    // CAF's own options, which the files spell out: the same values the services
    // give CAF when no file names them (apply_to_caf_config).
    expected.emplace_back("scheduler.max-throughput", "100");
    expected.emplace_back("scheduler.policy", "'io'");
    expected.emplace_back("work-stealing.moderate-poll-attempts", "0");
    EXPECT_EQ(effective_settings(s), expected) << path;
  }
}

TEST_F(loader_test, password_is_masked_for_display) {
  settings s;
  s.database_url = "postgresql://app:s3cr3t@db:5432/users";
  EXPECT_EQ(s.masked_database_url(), "postgresql://app:***@db:5432/users");
  EXPECT_EQ(mask_secrets("postgresql://app@db/users"), "postgresql://app@db/users");
  EXPECT_EQ(mask_secrets("postgresql://db/users?user=a&password=x&sslmode=require"),
            "postgresql://db/users?user=a&password=***&sslmode=require");
  EXPECT_EQ(mask_secrets("postgresql://u:p@h1:5432,h2:5432/db"),
            "postgresql://u:***@h1:5432,h2:5432/db");
  EXPECT_EQ(mask_secrets("not a url"), "not a url");
  // Malformed (an unencoded '#' or '/' in the password): still nothing of it shows.
  EXPECT_EQ(mask_secrets("postgresql://u:p#w@db/users"), "postgresql://u:***@db/users");
  EXPECT_EQ(mask_secrets("postgresql://u:p/w@db/users"), "postgresql://u:***@db/users");
  // Found by fuzz_config_loader: an '@' in the query ended the hidden part there,
  // and passwords in the query around it showed (whole or in part).
  EXPECT_EQ(mask_secrets("postgresql://u:pw@db/users?sslmode=require:x@&password=s3cr3t"),
            "postgresql://u:***&password=***");
  EXPECT_EQ(mask_secrets("postgresql://db/users?sslmode=require:x@&password=s3cr3t"),
            "postgresql://db/users?sslmode=require:***&password=***");
  EXPECT_EQ(mask_secrets("postgresql://db?password=pre:fix@&password=s3cr3t"),
            "postgresql://db?password=***&password=***");
  EXPECT_EQ(mask_secrets("postgresql://db?password=a:b&password=sec@ret&sslmode=x"),
            "postgresql://db?password=***&sslmode=x");
  // libpq percent-decodes query keys: "pass%77ord" is its password too.
  EXPECT_EQ(mask_secrets("postgresql://db/users?pass%77ord=s3cr3t&password"),
            "postgresql://db/users?pass%77ord=***&password");
}

// libpq recognises only a lower-case "postgresql://" or "postgres://"; RFC 3986
// makes schemes case-insensitive, so the setting is stored with a lower-case one.
TEST_F(loader_test, database_url_scheme_is_lower_cased) {
  EXPECT_EQ(ok({}, {{"DATABASE_URL", "POSTGRESQL://App:s3cr3t@DB/Users"}}).database_url,
            "postgresql://App:s3cr3t@DB/Users");
  EXPECT_EQ(ok({"--database.url=PostGres://db/users?sslmode=require"}).database_url,
            "postgres://db/users?sslmode=require");
}

TEST_F(loader_test, ssl_password_is_masked_for_display) {
  auto s = ok(
    {}, {{"DATABASE_URL", "postgresql://app:s3cr3t@db/users?sslpassword=k3y&sslmode=require"}});
  std::map<std::string, std::string> by_key;
  for (const auto& [key, value] : effective_settings(s))
    by_key[key] = value;
  EXPECT_EQ(by_key.at("database.url"),
            "postgresql://app:***@db/users?sslpassword=***&sslmode=require");
}

TEST_F(loader_test, effective_settings_cover_every_option_and_mask_secrets) {
  write_ini("[scheduler]\npolicy = 'sharing'\n");
  auto s = ok({}, {{"DATABASE_URL", "postgresql://app:s3cr3t@db/users"},
                   {"REDIS_URL", "redis://:s3cr3t@cache"}});
  auto list = effective_settings(s);
  ASSERT_EQ(list.size(), 48u);  // 47 options + 1 pass-through
  std::map<std::string, std::string> by_key(list.begin(), list.end());
  EXPECT_EQ(by_key.at("database.url"), "postgresql://app:***@db/users");
  EXPECT_EQ(by_key.at("http.port"), "8081");
  EXPECT_EQ(by_key.at("shutdown.timeout"), "30s");
  EXPECT_EQ(by_key.at("idempotency.key-ttl"), "86400s");
  EXPECT_EQ(by_key.at("database.acquire-timeout"), "2000ms");
  EXPECT_EQ(by_key.at("rate-limit.rps"), "100");
  EXPECT_EQ(by_key.at("log.format"), "json");
  EXPECT_EQ(by_key.at("database.prepared-statements"), "true");
  EXPECT_EQ(by_key.at("http.cors-allowed-origins"), "*");
  EXPECT_EQ(by_key.at("http.trusted-proxies"), "");
  EXPECT_EQ(by_key.at("http.management-port"), "0");
  EXPECT_EQ(by_key.at("rate-limit.backend"), "local");
  EXPECT_EQ(by_key.at("redis.url"), "redis://:***@cache");
  EXPECT_EQ(by_key.at("scheduler.policy"), "'sharing'");
  EXPECT_EQ(by_key.at("auth.mode"), "off");
  EXPECT_EQ(by_key.at("auth.clock-skew"), "60s");
  EXPECT_EQ(by_key.at("user-service.token-file"), "");
  for (const auto& [key, value] : list)
    EXPECT_EQ(value.find("s3cr3t"), std::string::npos) << key;
}

// A malformed REDIS_URL is refused without quoting its password, even one
// mask_secrets would not recognise (no ':' before the '@').
TEST_F(loader_test, malformed_redis_url_never_shows_its_password) {
  for (std::string url :
       {"redis://s3cr3t@cache:6379", "redis://:s3cr3t@cache:99999", "rediss://:s3cr3t@cache"}) {
    auto line = error({}, {{"REDIS_URL", url}});
    EXPECT_NE(line.find("invalid value for --redis.url (REDIS_URL)"), std::string::npos) << line;
    EXPECT_EQ(line.find("s3cr3t"), std::string::npos) << line;
  }
  EXPECT_EQ(ok({"--rate-limit.backend=redis", "--redis.url=redis://10.0.0.5"}).rate_limit_backend,
            rate_backend::redis);
}

}  // namespace
}  // namespace svc
