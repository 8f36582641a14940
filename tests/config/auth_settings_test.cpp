// The [auth] settings, USER_SERVICE_TOKEN_FILE, and the <NAME>_FILE convention of
// secret settings (DATABASE_URL_FILE): values from files, both-set and
// unreadable-file errors, and no secret in any line the loader prints.
#include "config/secret_mask.hpp"
#include "config_test_support.hpp"

namespace svc {
namespace {

using namespace std::chrono_literals;
using auth_settings_test = testing::config_dir;

const std::string password = "Zx9SecretPw";
const std::string secret_url = "postgresql://app:" + password + "@db:5432/users";

TEST_F(auth_settings_test, auth_mode_is_off_or_jwt_in_any_case) {
  EXPECT_EQ(ok({}, {{"AUTH_MODE", "off"}}).auth, auth_mode::off);
  EXPECT_EQ(ok({}, {{"AUTH_MODE", "JWT"}, {"AUTH_HS256_SECRET_FILE", "/s"}}).auth, auth_mode::jwt);
  EXPECT_EQ(ok({"--auth.mode=jwt", "--auth.public-keys-dir=/keys"}).auth_public_keys_dir, "/keys");
}

TEST_F(auth_settings_test, jwt_without_any_key_is_refused_in_one_line) {
  auto line = error({}, {{"AUTH_MODE", "jwt"}});
  EXPECT_EQ(line.rfind("invalid value for --auth.mode (AUTH_MODE): jwt needs keys", 0), 0u) << line;
  EXPECT_NE(line.find("AUTH_PUBLIC_KEYS_DIR"), std::string::npos) << line;
  EXPECT_NE(line.find("AUTH_HS256_SECRET_FILE"), std::string::npos) << line;
  // Keys without jwt are fine: the mode decides.
  EXPECT_EQ(ok({}, {{"AUTH_PUBLIC_KEYS_DIR", "/keys"}}).auth, auth_mode::off);
}

TEST_F(auth_settings_test, every_auth_setting_from_the_environment) {
  auto s = ok({}, {{"AUTH_MODE", "jwt"},
                   {"AUTH_PUBLIC_KEYS_DIR", " /etc/keys "},
                   {"AUTH_HS256_SECRET_FILE", "/run/secrets/hs"},
                   {"AUTH_ISSUER", "https://issuer.example/"},
                   {"AUTH_AUDIENCE", "api://microservices"},
                   {"AUTH_CLOCK_SKEW", "0"},
                   {"USER_SERVICE_TOKEN_FILE", "/run/secrets/token"}});
  EXPECT_EQ(s.auth_public_keys_dir, "/etc/keys");
  EXPECT_EQ(s.auth_hs256_secret_file, "/run/secrets/hs");
  EXPECT_EQ(s.auth_issuer, "https://issuer.example/");
  EXPECT_EQ(s.auth_audience, "api://microservices");
  EXPECT_EQ(s.auth_clock_skew, 0s);
  EXPECT_EQ(s.user_service_token_file, "/run/secrets/token");
  EXPECT_EQ(ok({}, {{"AUTH_CLOCK_SKEW", "2min"}}).auth_clock_skew, 120s);
  EXPECT_EQ(ok({}, {{"AUTH_CLOCK_SKEW", "24h"}}).auth_clock_skew, 86400s);
}

TEST_F(auth_settings_test, a_control_character_in_a_path_is_refused) {
  auto line = error({}, {{"AUTH_ISSUER", "a\nb"}});
  EXPECT_NE(line.find("--auth.issuer (AUTH_ISSUER)"), std::string::npos) << line;
  EXPECT_NE(error({}, {{"USER_SERVICE_TOKEN_FILE", "/x\ty"}}).find("USER_SERVICE_TOKEN_FILE"),
            std::string::npos);
}

TEST_F(auth_settings_test, database_url_file_is_read_without_its_trailing_newline) {
  write("secrets/db", secret_url + "\n");
  EXPECT_EQ(ok({}, {{"DATABASE_URL_FILE", (dir_ / "secrets/db").string()}}).database_url,
            secret_url);
  // A relative path starts at the working directory.
  EXPECT_EQ(ok({}, {{"DATABASE_URL_FILE", "secrets/db"}}).database_url, secret_url);
  // In .env too, and the environment's plain value overrides it.
  write(".env", "DATABASE_URL_FILE=secrets/db\n");
  EXPECT_EQ(ok().database_url, secret_url);
  EXPECT_EQ(ok({}, {{"DATABASE_URL", "postgresql://db/other"}}).database_url,
            "postgresql://db/other");
  // A flag overrides the file like any lower layer.
  EXPECT_EQ(ok({"--database.url=postgresql://db/flag"}).database_url, "postgresql://db/flag");
}

TEST_F(auth_settings_test, both_the_value_and_its_file_is_an_error_naming_both) {
  write("db", secret_url);
  auto line = error({}, {{"DATABASE_URL", secret_url}, {"DATABASE_URL_FILE", "db"}});
  EXPECT_NE(line.find("DATABASE_URL_FILE"), std::string::npos) << line;
  EXPECT_NE(line.find("DATABASE_URL is set too"), std::string::npos) << line;
  EXPECT_NE(line.find("[from environment]"), std::string::npos) << line;
  EXPECT_EQ(line.find(password), std::string::npos) << line;
  write(".env", "DATABASE_URL=" + secret_url + "\nDATABASE_URL_FILE=db\n");
  line = error();
  EXPECT_NE(line.find("DATABASE_URL is set too"), std::string::npos) << line;
  EXPECT_NE(line.find(".env line 2]"), std::string::npos) << line;
}

TEST_F(auth_settings_test, an_unreadable_file_is_an_error_naming_the_option_and_the_path) {
  auto line = error({}, {{"DATABASE_URL_FILE", "/no/such/file"}});
  EXPECT_EQ(
    line.rfind(
      "invalid value for --database.url (DATABASE_URL_FILE): cannot read \"/no/such/file\"", 0),
    0u)
    << line;
  EXPECT_NE(line.find("[from environment]"), std::string::npos) << line;
  EXPECT_NE(error({}, {{"DATABASE_URL_FILE", dir_.string()}}).find("not a regular file"),
            std::string::npos);
  EXPECT_NE(error({}, {{"DATABASE_URL_FILE", ""}}).find("an empty path"), std::string::npos);
  EXPECT_NE(error({}, {{"DATABASE_URL_FILE", "/dev/zero"}}).find("not a regular file"),
            std::string::npos);
  write("huge", std::string(70000, 'x'));
  EXPECT_NE(error({}, {{"DATABASE_URL_FILE", "huge"}}).find("larger than 64 KiB"),
            std::string::npos);
}

TEST_F(auth_settings_test, a_bad_value_in_the_file_is_reported_masked_with_the_file_named) {
  write("db", "mysql://app:" + password + "@db/users\n");
  auto line = error({}, {{"DATABASE_URL_FILE", "db"}});
  EXPECT_EQ(line.rfind("invalid value for --database.url (DATABASE_URL): ", 0), 0u) << line;
  EXPECT_NE(line.find("(DATABASE_URL_FILE, environment)"), std::string::npos) << line;
  EXPECT_EQ(line.find(password), std::string::npos) << line;
}

// No secret in --help, in the effective settings logged at start-up, or in an
// error line, whichever way the secret came in.
TEST_F(auth_settings_test, secrets_from_files_are_never_shown) {
  write("db", secret_url + "\n");
  auto s = ok({}, {{"DATABASE_URL_FILE", "db"}});
  for (const auto& [key, value] : effective_settings(s))
    EXPECT_EQ(value.find(password), std::string::npos) << key;
  auto help = load({"--help"}, {{"DATABASE_URL_FILE", "db"}, {"DATABASE_URL", secret_url}});
  ASSERT_EQ(help.kind, load_result::help);
  EXPECT_EQ(help.text.find(password), std::string::npos);
  auto line = error({"--http.port=bad"}, {{"DATABASE_URL_FILE", "db"}});
  EXPECT_EQ(line.find(password), std::string::npos) << line;
}

TEST_F(auth_settings_test, only_secret_settings_take_a_file) {
  write("port", "9000\n");
  EXPECT_EQ(ok({}, {{"HTTP_PORT_FILE", "port"}}).http_port, 8081)
    << "HTTP_PORT_FILE is not ours: ignored";
}

}  // namespace
}  // namespace svc
