// The database password never reaches the output of the real user-service,
// whichever form of connection string carries it and whatever goes wrong with
// it: a refused setting (exit 2), a database that cannot be reached or a libpq
// error quoting the string (exit 1), or the effective-settings lines logged at
// start-up. The harness sends stdout and stderr to one log file, so one search
// covers both.
#include <sstream>

#include "e2e/e2e_fixture.hpp"
#include "support/pg_env.hpp"

namespace e2e {
namespace {

using namespace std::chrono_literals;

// Unusual enough never to show up in a log by chance.
const std::string secret = "Qz7wSecretPw";

// What the service itself wrote: the log file without the harness's "### e2e:"
// lines (the first one lists the environment given, the URL included).
std::string service_output(const service_process& proc) {
  std::istringstream in{proc.log_text()};
  std::string out, line;
  while (std::getline(in, line))
    if (!line.starts_with("### e2e:"))
      out += line + '\n';
  return out;
}

class Secrets : public ::testing::Test {
protected:
  void TearDown() override {
    if (HasFailure() && !log_path_.empty())
      std::cerr << "---- tail of " << log_path_ << " ----\n"
                << file_tail(log_path_, 40) << "---- end ----\n";
  }

  // Starts user-service with DATABASE_URL=`url` (one connection attempt) and
  // waits for it to stop; its exit code and its whole output.
  std::pair<std::optional<int>, std::string> run_until_exit(const std::string& url,
                                                            const std::string& log_name) {
    auto env = instance_env(free_port(), url);
    env.emplace("DB_CONNECT_RETRIES", "1");  // not in instance_env()
    service_process proc{
      {.executable = user_service_binary, .args = {}, .env = env, .log_name = log_name}};
    log_path_ = proc.log_path();
    auto code = proc.wait_exit(20s);
    return {code, service_output(proc)};
  }

  // The test cluster's URL of a fresh database, with `scheme` and a password
  // (the cluster trusts every local connection: any password gets in).
  static std::string url_with_password(const std::string& db, const std::string& scheme,
                                       const std::string& password) {
    auto url = fresh_database(db);
    const std::string prefix = "postgresql://postgres@";
    EXPECT_EQ(url.rfind(prefix, 0), 0u) << url;
    return scheme + "://postgres:" + password + "@" + url.substr(prefix.size());
  }

  std::string log_path_;
};

::testing::AssertionResult shows_no(const std::string& output,
                                    std::initializer_list<std::string> parts) {
  for (const auto& part : parts)
    if (output.find(part) != std::string::npos)
      return ::testing::AssertionFailure() << "the output shows \"" << part << "\":\n" << output;
  return ::testing::AssertionSuccess();
}

// URI schemes are case-insensitive (RFC 3986), libpq's check is not: the
// service lower-cases the scheme, so the URL works, and the password stays hidden.
TEST_F(Secrets, UpperCaseSchemeWorksAndItsPasswordIsNotShown) {
  auto env = instance_env(free_port(),
                          url_with_password("e2e_users_secrets_upper", "POSTGRESQL", secret));
  const auto port = static_cast<std::uint16_t>(std::stoi(env["HTTP_PORT"]));
  service_process proc{
    {.executable = user_service_binary, .args = {}, .env = env, .log_name = "e2e_secrets_upper"}};
  log_path_ = proc.log_path();
  ASSERT_NO_THROW(proc.wait_ready(port));
  EXPECT_EQ(http_client{port}.get("/api/v1/users").status, 200u);
  EXPECT_EQ(proc.terminate(45s), 0);
  const auto output = service_output(proc);
  EXPECT_NE(output.find("postgresql://postgres:***@"), std::string::npos)
    << "the settings line shows the URL:\n"
    << output;
  EXPECT_TRUE(shows_no(output, {secret}));
}

TEST_F(Secrets, UnreachableDatabaseWithUpperCaseScheme) {
  auto [code, output] = run_until_exit("POSTGRES://postgres:" + secret + "@127.0.0.1:1/users",
                                       "e2e_secrets_unreachable");
  EXPECT_EQ(code, 1) << output;
  EXPECT_NE(output.find("database unreachable"), std::string::npos) << output;
  EXPECT_TRUE(shows_no(output, {secret}));
}

// libpq quotes a percent-encoded value it refuses, the password included.
TEST_F(Secrets, LibpqErrorQuotingThePassword) {
  auto [code, output] = run_until_exit(
    url_with_password("e2e_users_secrets_nul", "postgresql", "Kw4x%00" + secret),
    "e2e_secrets_nul");
  EXPECT_EQ(code, 1) << output;
  EXPECT_TRUE(shows_no(output, {"Kw4x", secret}));
}

TEST_F(Secrets, SslPasswordInTheQuery) {
  auto [code, output] = run_until_exit(
    "postgresql://127.0.0.1:1/users?sslmode=disable&sslpassword=" + secret,
    "e2e_secrets_sslpassword");
  EXPECT_EQ(code, 1) << output;
  EXPECT_TRUE(shows_no(output, {secret}));
}

TEST_F(Secrets, PasswordInARefusedUri) {
  auto [code, output] = run_until_exit(
    "POSTGRESQL://u:" + secret + "@127.0.0.1:99999/users?password=" + secret,
    "e2e_secrets_bad_port");
  EXPECT_EQ(code, 2) << output;
  EXPECT_NE(output.find("DATABASE_URL"), std::string::npos) << output;
  EXPECT_TRUE(shows_no(output, {secret}));
}

TEST_F(Secrets, KeyValueConnectionString) {
  auto [code, output] = run_until_exit("host=127.0.0.1 port=1 dbname=users password=" + secret,
                                       "e2e_secrets_key_value");
  EXPECT_EQ(code, 2) << output;
  EXPECT_TRUE(shows_no(output, {secret}));
}

TEST_F(Secrets, KeyValueWithQuotedValuesAndBlanksAroundTheEquals) {
  auto [code, output] = run_until_exit("host = 127.0.0.1 sslpassword= 'Kw4x " + secret +
                                         "' password ='Kw4x \\' " + secret + "' dbname=users",
                                       "e2e_secrets_key_value_quoted");
  EXPECT_EQ(code, 2) << output;
  EXPECT_TRUE(shows_no(output, {"Kw4x", secret}));
}

}  // namespace
}  // namespace e2e
