// Every kind of bad value stops loading with one line naming the option (flag
// and environment variable) and the value, whichever layer it came from.
#include "config_test_support.hpp"

namespace svc {
namespace {

using errors_test = testing::config_dir;

struct bad_value {
  const char* env;
  const char* value;
  const char* flag;
};

std::ostream& operator<<(std::ostream& os, const bad_value& b) {
  return os << b.env << "=" << b.value;
}

const bad_value bad_values[] = {
  {"HTTP_PORT", "80a81", "--http.port"},
  {"HTTP_PORT", "0", "--http.port"},
  {"HTTP_PORT", "65536", "--http.port"},
  {"HTTP_PORT", "-1", "--http.port"},
  {"HTTP_PORT", "", "--http.port"},
  {"HTTP_PORT", "8.5", "--http.port"},
  {"HTTP_HOST", "local host", "--http.host"},
  {"HTTP_HOST", "", "--http.host"},
  {"MANAGEMENT_PORT", "-1", "--http.management-port"},
  {"MANAGEMENT_PORT", "65536", "--http.management-port"},
  {"MANAGEMENT_PORT", "metrics", "--http.management-port"},
  {"MANAGEMENT_PORT", "", "--http.management-port"},
  {"HTTP_THREADS", "-1", "--scheduler.io-threads"},
  {"HTTP_THREADS", "1025", "--scheduler.io-threads"},
  {"HTTP_HEADER_TIMEOUT", "0", "--http.header-timeout"},
  {"HTTP_HEADER_TIMEOUT", "1500ms", "--http.header-timeout"},  // finer than the field's seconds
  {"HTTP_IDLE_TIMEOUT", "10x", "--http.idle-timeout"},
  {"HTTP_IDLE_TIMEOUT", "-5", "--http.idle-timeout"},
  {"MAX_BODY_BYTES", "-1", "--http.max-body-bytes"},
  {"MAX_BODY_BYTES", "1MB", "--http.max-body-bytes"},
  {"MAX_BODY_BYTES", "99999999999999999999", "--http.max-body-bytes"},
  {"MAX_HEADER_BYTES", "0", "--http.max-header-bytes"},
  {"MAX_CONNECTIONS", "lots", "--http.max-connections"},
  {"CORS_ALLOWED_ORIGINS", "", "--http.cors-allowed-origins"},
  {"CORS_ALLOWED_ORIGINS", "https://a.example,,https://b.example", "--http.cors-allowed-origins"},
  {"CORS_ALLOWED_ORIGINS", "*,https://a.example", "--http.cors-allowed-origins"},
  {"CORS_ALLOWED_ORIGINS", "a.example", "--http.cors-allowed-origins"},
  {"CORS_ALLOWED_ORIGINS", "https://a.example/", "--http.cors-allowed-origins"},
  {"TRUSTED_PROXIES", "10.0.0.0/33", "--http.trusted-proxies"},
  {"TRUSTED_PROXIES", "10.0.0.1/8", "--http.trusted-proxies"},  // host bits set
  {"TRUSTED_PROXIES", "proxy.internal", "--http.trusted-proxies"},
  {"TRUSTED_PROXIES", "10.0.0.0/8,,fd00::/8", "--http.trusted-proxies"},
  {"TRUSTED_PROXIES", "10.0.0.0/8;fd00::/8", "--http.trusted-proxies"},
  {"TRUSTED_PROXIES", "fd00::/200", "--http.trusted-proxies"},
  {"DATABASE_URL", "mysql://db/users", "--database.url"},
  {"DATABASE_URL", "localhost:5432/users", "--database.url"},
  {"DATABASE_URL", "postgresql://db:99999/users", "--database.url"},
  {"DB_POOL_MIN_IDLE", "-1", "--database.pool-min-idle"},
  {"DB_POOL_MAX", "0", "--database.pool-max"},
  {"DB_CONN_MAX_LIFETIME", "0s", "--database.conn-max-lifetime"},
  {"DB_CONNECT_RETRIES", "0", "--database.connect-retries"},
  {"DB_ACQUIRE_TIMEOUT_MS", "0", "--database.acquire-timeout"},
  {"DB_QUERY_TIMEOUT", "1.5", "--database.query-timeout"},
  {"DB_PREPARED_STATEMENTS", "maybe", "--database.prepared-statements"},
  {"DB_PREPARED_STATEMENTS", "2", "--database.prepared-statements"},
  {"DB_PREPARED_STATEMENTS", "", "--database.prepared-statements"},
  {"USER_SERVICE_URL", "localhost:8081", "--user-service.url"},
  {"USER_SERVICE_URL", "ftp://users:8081", "--user-service.url"},
  {"USER_SERVICE_URL", "http://users:8081/api", "--user-service.url"},
  {"USER_SERVICE_URL", "http://:8081", "--user-service.url"},
  {"HTTP_CLIENT_TIMEOUT", "soon", "--user-service.timeout"},
  {"USER_SERVICE_MAX_IN_FLIGHT", "0", "--user-service.max-in-flight"},
  {"USER_SERVICE_MAX_IN_FLIGHT", "65537", "--user-service.max-in-flight"},
  {"USER_VALIDATION_TIMEOUT", "0", "--user-service.validation-timeout"},
  {"USER_VALIDATION_TIMEOUT", "-5", "--user-service.validation-timeout"},
  {"USER_CHECK_RECONCILE_INTERVAL", "later", "--user-service.reconcile-interval"},
  {"USER_CHECK_RECONCILE_BATCH", "0", "--user-service.reconcile-batch"},
  {"RATE_LIMIT_RPS", "0", "--rate-limit.rps"},
  {"RATE_LIMIT_RPS", "nan", "--rate-limit.rps"},
  {"RATE_LIMIT_RPS", "100rps", "--rate-limit.rps"},
  {"RATE_LIMIT_BURST", "0", "--rate-limit.burst"},
  {"RATE_LIMIT_BACKEND", "memcached", "--rate-limit.backend"},
  {"RATE_LIMIT_BACKEND", "", "--rate-limit.backend"},
  {"REDIS_URL", "localhost:6379", "--redis.url"},
  {"REDIS_URL", "rediss://cache:6380", "--redis.url"},
  {"REDIS_URL", "redis://cache:0", "--redis.url"},
  {"REDIS_URL", "redis://cache:6379/x", "--redis.url"},
  {"REDIS_URL", "redis://:6379", "--redis.url"},
  {"BREAKER_FAILURE_THRESHOLD", "0", "--breaker.failure-threshold"},
  {"BREAKER_OPEN_TIMEOUT", "0", "--breaker.open-timeout"},
  {"BREAKER_HALF_OPEN_MAX", "0", "--breaker.half-open-max"},
  {"SHUTDOWN_TIMEOUT", "30 s", "--shutdown.timeout"},
  {"LOG_LEVEL", "verbose", "--log.level"},
  {"LOG_FORMAT", "xml", "--log.format"},
  {"SCHEDULER_MAX_THREADS", "-2", "--scheduler.max-threads"},
  {"AUTH_MODE", "on", "--auth.mode"},
  {"AUTH_MODE", "", "--auth.mode"},
  {"AUTH_MODE", "bearer", "--auth.mode"},
  {"AUTH_CLOCK_SKEW", "-1", "--auth.clock-skew"},
  {"AUTH_CLOCK_SKEW", "25h", "--auth.clock-skew"},
  {"AUTH_CLOCK_SKEW", "1500ms", "--auth.clock-skew"},
  {"AUTH_CLOCK_SKEW", "soon", "--auth.clock-skew"},
};

class bad_value_test : public testing::config_dir,
                       public ::testing::WithParamInterface<bad_value> {};

TEST_P(bad_value_test, from_the_environment) {
  auto b = GetParam();
  auto line = error({}, {{b.env, b.value}});
  EXPECT_NE(line.find(std::string{"invalid value for "} + b.flag + " (" + b.env + "): "),
            std::string::npos)
    << line;
  EXPECT_NE(line.find(std::string{"\""} + b.value + "\""), std::string::npos) << line;
  EXPECT_NE(line.find("[from environment]"), std::string::npos) << line;
}

TEST_P(bad_value_test, from_the_command_line) {
  auto b = GetParam();
  auto line = error({std::string{b.flag} + "=" + b.value});
  EXPECT_NE(line.find(std::string{"invalid value for "} + b.flag), std::string::npos) << line;
}

TEST_P(bad_value_test, from_the_dotenv_file_even_when_overridden_higher_up) {
  auto b = GetParam();
  write(".env", std::string{b.env} + "='" + b.value + "'\n");
  // A bad value is an error even though a flag would override it.
  auto line = error({std::string{b.flag} + "=1"});
  EXPECT_NE(line.find(std::string{"invalid value for "} + b.flag), std::string::npos) << line;
  EXPECT_NE(line.find(".env line 1]"), std::string::npos) << line;
}

INSTANTIATE_TEST_SUITE_P(all, bad_value_test, ::testing::ValuesIn(bad_values));

TEST_F(errors_test, error_line_reads_as_the_contract_shows) {
  EXPECT_EQ(error({}, {{"HTTP_PORT", "80a81"}}),
            "invalid value for --http.port (HTTP_PORT): \"80a81\" is not a port number (1-65535) "
            "[from environment]");
}

TEST_F(errors_test, database_password_never_appears_in_an_error) {
  auto line = error({}, {{"DATABASE_URL", "mysql://app:s3cr3t@db/users"}});
  EXPECT_EQ(line.find("s3cr3t"), std::string::npos) << line;
  EXPECT_NE(line.find("mysql://app:***@db/users"), std::string::npos) << line;
}

TEST_F(errors_test, malformed_database_url_hides_its_password_too) {
  auto line = error({}, {{"DATABASE_URL", "postgresql://app:pa#ss@db/users"}});
  EXPECT_EQ(line.find("pa#ss"), std::string::npos) << line;
  EXPECT_EQ(line.find("ss@"), std::string::npos) << line;
}

// A key/value connection string is not accepted, and its error line must not
// echo the password, quoted or not, wherever the value came from.
TEST_F(errors_test, key_value_connection_string_hides_its_password) {
  for (const char* value :
       {"host=db password=s3cr3t dbname=users", "host=db password = 's3 cr3t' dbname=users",
        "host=db sslpassword=s3cr3t"}) {
    auto line = error({}, {{"DATABASE_URL", value}});
    EXPECT_NE(line.find("--database.url (DATABASE_URL)"), std::string::npos) << line;
    EXPECT_EQ(line.find("s3"), std::string::npos) << line;
  }
  auto line = error({"host=db", "password=s3cr3t"});
  EXPECT_NE(line.find("unexpected argument"), std::string::npos) << line;
  EXPECT_EQ(line.find("s3cr3t"), std::string::npos) << line;
}

TEST_F(errors_test, ini_line_quoted_in_an_error_hides_passwords) {
  write_ini("[database]\nurl = host=db password=s3cr3t\n");
  auto line = error();
  EXPECT_NE(line.find("line 2"), std::string::npos) << line;
  EXPECT_EQ(line.find("s3cr3t"), std::string::npos) << line;
  write_ini("[database]\nurl = \"POSTGRESQL://app:s3cr3t@db/users?sslpassword=k3y\" x\n");
  line = error();
  EXPECT_NE(line.find("line 2"), std::string::npos) << line;
  EXPECT_EQ(line.find("s3cr3t"), std::string::npos) << line;
  EXPECT_EQ(line.find("k3y"), std::string::npos) << line;
}

TEST_F(errors_test, trusted_proxies_error_names_the_bad_item) {
  EXPECT_EQ(
    error({}, {{"TRUSTED_PROXIES", "10.0.0.0/8, 192.168.1.1/16"}}),
    "invalid value for --http.trusted-proxies (TRUSTED_PROXIES): \"10.0.0.0/8, 192.168.1.1/16\" is not a "
    "comma list of CIDR blocks such as 10.0.0.0/8, fd00::/8: \"192.168.1.1/16\" has host bits set "
    "(192.168.0.0/16?) [from environment]");
}

TEST_F(errors_test, management_port_equal_to_the_api_port_is_an_error) {
  auto line = error({"--http.port=9000"}, {{"MANAGEMENT_PORT", "9000"}});
  EXPECT_EQ(
    line,
    "invalid value for --http.management-port (MANAGEMENT_PORT): 9000 is --http.port too: give the "
    "management listener a port of its own, or 0 for none");
  EXPECT_NE(error({}, {{"MANAGEMENT_PORT", "8081"}}).find("--http.management-port"),
            std::string::npos);
  // 0 is "no management listener", not a port of its own.
  EXPECT_EQ(ok({}, {{"MANAGEMENT_PORT", "0"}}).management_port, 0);
  EXPECT_EQ(ok({}, {{"MANAGEMENT_PORT", "9081"}}).management_port, 9081);
}

TEST_F(errors_test, min_idle_above_pool_max_is_an_error) {
  auto line = error({"--database.pool-min-idle=50", "--database.pool-max=20"});
  EXPECT_NE(line.find("--database.pool-min-idle (DB_POOL_MIN_IDLE)"), std::string::npos) << line;
  EXPECT_NE(line.find("50 is more than --database.pool-max (20)"), std::string::npos) << line;
}

TEST_F(errors_test, wrongly_typed_ini_values_are_errors_not_ignored) {
  for (const char* port :
       {"\"abc\"", "8.5", "8.0", "true", "'eighty'", "[8081]", "30s", "{a = 1}"}) {
    write_ini(std::string{"[http]\nport = "} + port + "\n");
    auto line = error();
    EXPECT_NE(line.find("--http.port"), std::string::npos) << port << ": " << line;
    EXPECT_NE(line.find("caf-application.ini"), std::string::npos) << port << ": " << line;
  }
}

TEST_F(errors_test, ini_duration_finer_than_the_option_is_an_error) {
  write_ini("[shutdown]\ntimeout = 1500ms\n[http]\nidle-timeout = 1500ms\n");
  EXPECT_EQ(error(),
            "invalid value for --http.idle-timeout (HTTP_IDLE_TIMEOUT): \"1500ms\" is not a whole "
            "number of seconds [from config file " +
              (dir_ / "caf-application.ini").string() + "]");
  write_ini("[shutdown]\ntimeout = 1500ms\n");
  EXPECT_EQ(ok().shutdown_timeout, std::chrono::milliseconds{1500});
}

TEST_F(errors_test, a_quoted_number_in_the_ini_file_is_accepted) {
  write_ini("[http]\nport = \"9000\"\n");
  EXPECT_EQ(ok().http_port, 9000);
}

TEST_F(errors_test, ini_syntax_error_names_the_line) {
  write_ini(
    "[http]\nhost = \"0.0.0.0\"\nport = 80a81");  // no final newline: CAF alone would read 80
  auto line = error();
  EXPECT_NE(line.find("line 3 (\"port = 80a81\")"), std::string::npos) << line;
}

TEST_F(errors_test, ini_file_cut_off_inside_a_list_is_an_error) {
  write_ini("[http]\nport = 9000\ncors-allowed-origins = [\"https://a.example\",\n");
  EXPECT_NE(error().find("unexpected end of file"), std::string::npos);
}

TEST_F(errors_test, ini_unknown_key_and_group_are_named) {
  write_ini("[http]\nprot = 9000\n");
  auto line = error();
  EXPECT_NE(line.find("unknown key \"prot\" in [http]"), std::string::npos) << line;

  write_ini("[htpp]\nport = 9000\n");
  line = error();
  EXPECT_NE(line.find("unknown group [htpp]"), std::string::npos) << line;

  write_ini("port = 9000\n");
  line = error();
  EXPECT_NE(line.find("\"port\" is outside any [group]"), std::string::npos) << line;
}

TEST_F(errors_test, ini_key_given_twice_is_an_error) {
  write_ini("[http]\nport = 9000\n\n[http]\nport = 9001\n");
  auto line = error();
  EXPECT_NE(line.find("\"port\" of [http] is set twice (lines 2 and 5)"), std::string::npos)
    << line;
}

TEST_F(errors_test, bad_flags_are_errors) {
  EXPECT_EQ(error({"--http.prot=1"}), "unknown option --http.prot (see --help)");
  EXPECT_EQ(error({"--verbose=1"}), "unknown option --verbose (see --help)");
  EXPECT_EQ(error({"--http.port"}), "missing value for --http.port (see --help)");
  // Found by fuzz_config_loader: a control character in a flag name split the line.
  EXPECT_EQ(error({"--conf\rig=1"}), "unknown option --conf\\x0dig (see --help)");
  EXPECT_EQ(error({"--a\nb"}), "missing value for --a\\x0ab (see --help)");
  EXPECT_NE(error({"serve"}).find("unexpected argument \"serve\""), std::string::npos);
  EXPECT_NE(error({"-p", "80"}).find("unexpected argument \"-p\""), std::string::npos);
}

TEST_F(errors_test, malformed_dotenv_line_is_an_error) {
  write(".env", "HTTP_PORT=9000\nthis is not an assignment\n");
  auto line = error();
  EXPECT_NE(line.find(".env"), std::string::npos) << line;
  EXPECT_NE(line.find("line 2: expected KEY=VALUE"), std::string::npos) << line;

  write(".env", "LOG_LEVEL=\"debug\n");
  EXPECT_NE(error().find("line 1: unterminated double quote"), std::string::npos);
}

}  // namespace
}  // namespace svc
