// Bearer-token authentication of the REAL user-service (AUTH_MODE=jwt) over HTTP:
// 401 without or with a bad token (RFC 6750 challenges), 403 without the scope,
// the API with the right scopes, probes and /metrics open, key rotation without a
// restart, the subject on the access line and no token anywhere in the log. The
// database URL (with a password) comes from DATABASE_URL_FILE.
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "e2e/e2e_fixture.hpp"
#include "e2e/orders_fixture.hpp"  // metric_value
#include "token_factory.hpp"

namespace e2e {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
using svc::testing::epoch_seconds;
using svc::testing::sign_token;

const std::string hs_secret = "e2e-hs256-secret-at-least-32-bytes-long";
const std::string db_password = "Vb8AuthDbPw";

// A private temp dir holding keys/, the HS256 secret and the database URL file.
fs::path make_temp_dir(const std::string& prefix) {
  std::string pattern = (fs::temp_directory_path() / (prefix + "_XXXXXX")).string();
  if (!mkdtemp(pattern.data()))
    throw std::runtime_error("mkdtemp failed");
  return pattern;
}

// The database URL of the test cluster with a password (the cluster lets any in).
std::string url_with_password(const std::string& db) {
  auto url = fresh_database(db);
  const std::string prefix = "postgresql://postgres@";
  return "postgresql://postgres:" + db_password + "@" + url.substr(prefix.size());
}

class Auth : public ::testing::Test {
public:
  static void SetUpTestSuite() {
    ::unsetenv("DATABASE_URL");  // DATABASE_URL_FILE below: both set would be refused
    try {
      dir_ = make_temp_dir("e2e_auth");
      fs::create_directories(dir_ / "keys");
      rsa_ = svc::testing::make_rsa_key();
      ec_ = svc::testing::make_ec_key();
      svc::testing::write_file(dir_ / "keys" / "rsa-1.pem", rsa_.public_pem);
      svc::testing::write_file(dir_ / "keys" / "ec-1.pem", ec_.public_pem);
      svc::testing::write_file(dir_ / "hs256", hs_secret + "\n");
      svc::testing::write_file(dir_ / "database_url", url_with_password("e2e_users_auth") + "\n");
      port_ = free_port();
      process_ = std::make_unique<service_process>(
        service_process::options{.executable = user_service_binary,
                                 .args = {},
                                 .env = auth_env(port_),
                                 .log_name = "e2e_users_auth"});
      process_->wait_ready(port_);
    } catch (const std::exception& e) {
      start_error_ = e.what();
    }
  }

  static void TearDownTestSuite() {
    if (process_)
      process_->terminate();
    process_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

protected:
  // user-service on `port` with AUTH_MODE=jwt and the suite's keys.
  static std::map<std::string, std::string> auth_env(std::uint16_t port) {
    auto env = instance_env(port, "");
    env.erase("DATABASE_URL");
    env["DATABASE_URL_FILE"] = (dir_ / "database_url").string();
    env["AUTH_MODE"] = "jwt";
    env["AUTH_PUBLIC_KEYS_DIR"] = (dir_ / "keys").string();
    env["AUTH_HS256_SECRET_FILE"] = (dir_ / "hs256").string();
    env["AUTH_ISSUER"] = "https://issuer.example";
    env["AUTH_AUDIENCE"] = "microservices";
    return env;
  }

  void SetUp() override {
    if (!start_error_.empty() || !process_)
      GTEST_FAIL() << "user-service did not start: " << start_error_;
    client_ = std::make_unique<http_client>(port_);
  }
  void TearDown() override {
    if (HasFailure() && process_)
      std::cerr << "---- tail of " << process_->log_path() << " ----\n"
                << process_->log_tail(30) << "---- end ----\n";
  }

  static nlohmann::json claims(const std::string& scope,
                               nlohmann::json extra = nlohmann::json::object()) {
    nlohmann::json c{{"sub", "alice"},
                     {"iss", "https://issuer.example"},
                     {"aud", "microservices"},
                     {"exp", epoch_seconds(600s)},
                     {"scope", scope}};
    for (auto& [k, v] : extra.items())
      c[k] = v;
    return c;
  }

  // A token remembered for the final check that none reached the log.
  static std::string remember(std::string token) {
    tokens_.push_back(token);
    return token;
  }
  static std::string rs256(const std::string& scope,
                           nlohmann::json extra = nlohmann::json::object()) {
    return remember(
      sign_token("RS256", rsa_.private_pem, "rsa-1", claims(scope, std::move(extra))));
  }
  static header_map bearer(const std::string& token) {
    return {{"Authorization", "Bearer " + token}};
  }

  http_client& client() { return *client_; }

  static fs::path dir_;
  static svc::testing::key_pair rsa_, ec_;
  static std::uint16_t port_;
  static std::unique_ptr<service_process> process_;
  static std::string start_error_;
  static std::vector<std::string> tokens_;
  std::unique_ptr<http_client> client_;
};

fs::path Auth::dir_;
svc::testing::key_pair Auth::rsa_, Auth::ec_;
std::uint16_t Auth::port_ = 0;
std::unique_ptr<service_process> Auth::process_;
std::string Auth::start_error_;
std::vector<std::string> Auth::tokens_;

const std::string realm = "Bearer realm=\"user-service\"";

TEST_F(Auth, NoTokenIs401WithABareChallenge) {
  for (const auto& r :
       {client().get("/api/v1/users"), client().post("/api/v1/users", {{"name", "x"}}),
        client().get("/api/v1/users/1", {{"Authorization", "Basic dXNlcjpwdw=="}}),
        client().get("/api/v1/nothing-here")}) {
    EXPECT_TRUE(is_error(r, 401, "UNAUTHORIZED")) << describe(r);
    EXPECT_EQ(r.header("www-authenticate"), realm) << describe(r);
    EXPECT_FALSE(r.header("x-request-id").empty());
    // The token is checked after the rate limit: a refusal is an /api/ response
    // like any other, with the client's bucket in its headers.
    EXPECT_FALSE(r.header("x-ratelimit-limit").empty()) << describe(r);
    EXPECT_FALSE(r.header("x-ratelimit-remaining").empty()) << describe(r);
  }
}

// A token not yet cached costs a signature check (about 1 ms for RS256): forged
// tokens are rate limited like any request before any of that is spent.
TEST_F(Auth, ForgedTokensAreRateLimitedBeforeTheirSignatureIsChecked) {
  const auto port = free_port();
  auto env = auth_env(port);
  env["RATE_LIMIT_RPS"] = "1";
  env["RATE_LIMIT_BURST"] = "5";
  service_process limited{{.executable = user_service_binary,
                           .args = {},
                           .env = env,
                           .log_name = "e2e_users_auth_limited"}};
  limited.wait_ready(port);
  http_client c{port};
  const auto forged = sign_token("RS256", svc::testing::make_rsa_key().private_pem, "rsa-1",
                                 claims("users:read"));
  int unauthorized = 0, limited_count = 0;
  for (int i = 0; i < 12; ++i) {
    const auto r = c.get("/api/v1/users", bearer(forged));
    unauthorized += r.status == 401 ? 1 : 0;
    limited_count += r.status == 429 ? 1 : 0;
  }
  EXPECT_LE(unauthorized, 6) << "the burst (5), and at most one refill";
  EXPECT_GE(limited_count, 6);
  EXPECT_EQ(unauthorized + limited_count, 12);
  limited.terminate();
}

TEST_F(Auth, BadTokensAre401InvalidTokenAndAllLookTheSame) {
  auto other = svc::testing::make_rsa_key();
  const std::vector<std::string> bad{
    rs256("users:read", {{"exp", epoch_seconds(-3600s)}}),   // expired
    rs256("users:read", {{"nbf", epoch_seconds(3600s)}}),    // not yet valid
    rs256("users:read", {{"iss", "https://evil.example"}}),  // wrong issuer
    rs256("users:read", {{"aud", "somebody-else"}}),         // wrong audience
    remember(
      sign_token("RS256", other.private_pem, "rsa-1", claims("users:read"))),  // bad signature
    remember(
      sign_token("HS256", rsa_.public_pem, "rsa-1", claims("users:read"))),  // HS/RS confusion
    remember(svc::testing::unsigned_token(claims("users:read"))),            // alg none
    "not-a-jwt",
  };
  std::string first_body;
  for (const auto& token : bad) {
    auto r = client().get("/api/v1/users", bearer(token));
    EXPECT_TRUE(is_error(r, 401, "UNAUTHORIZED")) << describe(r);
    EXPECT_EQ(r.header("www-authenticate"), realm + ", error=\"invalid_token\"") << describe(r);
    auto message = r.json()["error"]["message"].get<std::string>();
    if (first_body.empty())
      first_body = message;
    EXPECT_EQ(message, first_body) << "the body never says which check failed";
  }
  // Two Authorization lines, even both good: neither is believed.
  auto good = rs256("users:read");
  ASSERT_EQ(client().get("/api/v1/users", bearer(good)).status, 200u);
  auto raw = raw_exchange(
    port_, "GET /api/v1/users HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + good +
             "\r\nAuthorization: Bearer " + good + "\r\nConnection: close\r\n\r\n");
  ASSERT_TRUE(raw.response) << raw.received;
  EXPECT_TRUE(is_error(*raw.response, 401, "UNAUTHORIZED")) << describe(*raw.response);
}

TEST_F(Auth, AValidTokenWithoutTheScopeIs403) {
  auto reader = rs256("users:read orders:write");
  auto r = client().post(
    "/api/v1/users", {{"name", "Reader Only"}, {"email", "reader@example.com"}}, bearer(reader));
  EXPECT_TRUE(is_error(r, 403, "FORBIDDEN")) << describe(r);
  EXPECT_EQ(r.header("www-authenticate"),
            realm + ", error=\"insufficient_scope\", scope=\"users:write\"");
  EXPECT_EQ(client().get("/api/v1/users", bearer(reader)).status, 200u);

  auto writer = rs256("users:write");
  auto g = client().get("/api/v1/users", bearer(writer));
  EXPECT_TRUE(is_error(g, 403, "FORBIDDEN"))
    << "a write scope does not grant reads: " << describe(g);
}

TEST_F(Auth, TheApiWorksWithTheRightScopesOfEachAlgorithm) {
  auto rw = rs256("users:read users:write");
  auto c = client().post("/api/v1/users",
                         {{"name", "Token Holder"}, {"email", "holder@example.com"}}, bearer(rw));
  ASSERT_EQ(c.status, 201u) << describe(c);
  auto id = c.json()["data"]["id"].get<long long>();
  auto path = "/api/v1/users/" + std::to_string(id);
  auto es = remember(
    sign_token("ES256", ec_.private_pem, "ec-1", claims("users:read users:write")));
  auto hs = remember(sign_token("HS256", hs_secret, "", claims("users:read users:write")));
  EXPECT_EQ(client().get(path, bearer(es)).status, 200u);
  EXPECT_EQ(client().request("HEAD", path, "", bearer(hs)).status, 200u);
  EXPECT_EQ(client().put(path, {{"age", 40}}, bearer(hs)).status, 200u);
  EXPECT_EQ(client().del(path, bearer(es)).status, 204u);
  // Scheme in any case.
  EXPECT_EQ(client().get("/api/v1/users", {{"Authorization", "bEaReR " + rw}}).status, 200u);
}

TEST_F(Auth, ProbesMetricsOpenApiAndPreflightsNeedNoToken) {
  EXPECT_EQ(client().get("/health/live").status, 200u);
  EXPECT_EQ(client().get("/health").status, 200u);
  EXPECT_EQ(client().get("/health/ready").status, 200u);
  EXPECT_EQ(client().get("/openapi.json").status, 200u);
  auto preflight = client().request(
    "OPTIONS", "/api/v1/users", "",
    {{"Origin", "https://app.example"}, {"Access-Control-Request-Method", "POST"}});
  EXPECT_EQ(preflight.status, 204u) << describe(preflight);
  // One refusal of each kind, so that this test stands alone.
  EXPECT_EQ(client().get("/api/v1/users").status, 401u);
  EXPECT_EQ(
    client().post("/api/v1/users", {{"name", "Reader"}}, bearer(rs256("users:read"))).status, 403u);
  auto metrics = client().get("/metrics");
  ASSERT_EQ(metrics.status, 200u);
  for (const char* code : {"UNAUTHORIZED", "FORBIDDEN"}) {
    auto count = metric_value(metrics.body, "app_errors_total",
                              {{"code", code}, {"service", "user-service"}});
    EXPECT_TRUE(count && *count > 0) << code << " not counted:\n" << metrics.body;
  }
}

TEST_F(Auth, AKeyAddedToTheDirectoryIsUsedWithoutARestartAndARemovedOneRefused) {
  auto rotated = svc::testing::make_ec_key();
  auto token = remember(sign_token("ES256", rotated.private_pem, "ec-2", claims("users:read")));
  EXPECT_EQ(client().get("/api/v1/users", bearer(token)).status, 401u);
  svc::testing::write_file(dir_ / "keys" / "ec-2.pem", rotated.public_pem);
  EXPECT_TRUE(
    poll_until([&] { return client().get("/api/v1/users", bearer(token)).status == 200; }, 5s))
    << "the new key is used within a second or so";
  fs::remove(dir_ / "keys" / "ec-2.pem");
  EXPECT_TRUE(
    poll_until([&] { return client().get("/api/v1/users", bearer(token)).status == 401; }, 5s))
    << "a removed key is refused, its cached tokens too";
}

// Last: what the log holds after every request above.
TEST_F(Auth, TheSubjectIsLoggedAndNoTokenNorSecretEver) {
  auto token = rs256("users:read", {{"sub", "subject-" + std::to_string(epoch_seconds())}});
  ASSERT_EQ(client().get("/api/v1/users", bearer(token)).status, 200u);
  ASSERT_EQ(client()
              .get("/api/v1/users", bearer(rs256("users:read", {{"exp", epoch_seconds(-600s)}})))
              .status,
            401u);
  std::string log;
  ASSERT_TRUE(poll_until(
    [&] {
      log = process_->log_text();
      return log.find("\"sub\":\"subject-") != std::string::npos;
    },
    5s))
    << "the access line carries the token's sub";
  EXPECT_NE(log.find("\"auth\":\"expired\""), std::string::npos)
    << "why a token was refused, for operators";
  for (const auto& t : tokens_) {
    // Any 20 characters of a token's signature would do to find it.
    auto signature = t.substr(t.rfind('.') + 1);
    ASSERT_FALSE(t.empty());
    EXPECT_EQ(log.find(t), std::string::npos) << "a token is in the log";
    if (signature.size() >= 20) {
      EXPECT_EQ(log.find(signature.substr(0, 20)), std::string::npos)
        << "a token's signature is in the log";
    }
  }
  // Nor in a metric (labels are route templates and codes, never a header's value).
  auto metrics = client().get("/metrics");
  ASSERT_EQ(metrics.status, 200u);
  for (const auto& t : tokens_)
    EXPECT_EQ(metrics.body.find(t.substr(0, t.find('.', t.find('.') + 1))), std::string::npos)
      << "a token in /metrics";
  EXPECT_EQ(metrics.body.find("alice"), std::string::npos) << "not even a subject";
  EXPECT_EQ(log.find(hs_secret), std::string::npos);
  EXPECT_EQ(log.find(db_password), std::string::npos);
  EXPECT_EQ(log.find("PRIVATE KEY"), std::string::npos);
}

// Start-up refusals: exit 2 and one line naming the option, before any database.
class AuthStartup : public ::testing::Test {
protected:
  static std::pair<std::optional<int>, std::string> run(std::map<std::string, std::string> extra,
                                                        const std::string& log_name) {
    auto env = instance_env(free_port(), "postgresql://postgres@127.0.0.1:1/users");
    for (auto& [k, v] : extra)
      env[k] = v;
    service_process proc{
      {.executable = user_service_binary, .args = {}, .env = env, .log_name = log_name}};
    auto code = proc.wait_exit(20s);
    return {code, proc.log_text()};
  }
};

TEST_F(AuthStartup, JwtWithoutKeysIsRefused) {
  auto [code, log] = run({{"AUTH_MODE", "jwt"}}, "e2e_auth_no_keys");
  EXPECT_EQ(code, 2) << log;
  EXPECT_NE(log.find("invalid value for --auth.mode (AUTH_MODE): jwt needs keys"),
            std::string::npos)
    << log;
}

TEST_F(AuthStartup, AKeysDirectoryThatIsNoneOrAnUnreadableSecretIsRefused) {
  auto [code, log] = run({{"AUTH_MODE", "jwt"}, {"AUTH_PUBLIC_KEYS_DIR", "/no/such/dir"}},
                         "e2e_auth_bad_dir");
  EXPECT_EQ(code, 2) << log;
  EXPECT_NE(log.find("AUTH_PUBLIC_KEYS_DIR"), std::string::npos) << log;
  auto [code2, log2] = run({{"AUTH_MODE", "jwt"}, {"AUTH_HS256_SECRET_FILE", "/no/such/file"}},
                           "e2e_auth_bad_secret");
  EXPECT_EQ(code2, 2) << log2;
  EXPECT_NE(log2.find("AUTH_HS256_SECRET_FILE"), std::string::npos) << log2;
}

TEST_F(AuthStartup, DatabaseUrlFileProblemsAreRefused) {
  auto [code, log] = run({{"DATABASE_URL_FILE", "/no/such/file"}}, "e2e_auth_db_file_missing");
  EXPECT_EQ(code, 2) << log;
  EXPECT_NE(log.find("DATABASE_URL_FILE"), std::string::npos) << log;
  // instance_env() sets DATABASE_URL: with the file too, both are set.
  auto dir = make_temp_dir("e2e_auth_db");
  svc::testing::write_file(dir / "url",
                           "postgresql://postgres:" + db_password + "@127.0.0.1:1/users\n");
  auto [code2, log2] = run({{"DATABASE_URL_FILE", (dir / "url").string()}},
                           "e2e_auth_db_file_both");
  EXPECT_EQ(code2, 2) << log2;
  EXPECT_NE(log2.find("DATABASE_URL is set too"), std::string::npos) << log2;
  EXPECT_EQ(log2.find(db_password), std::string::npos) << log2;
  std::error_code ec;
  fs::remove_all(dir, ec);
}

}  // namespace
}  // namespace e2e
