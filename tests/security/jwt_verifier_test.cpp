// Token checks with keys and tokens made here: every way a token must be refused,
// key rotation in the keys directory, the cache.
#include <unistd.h>

#include <thread>

#include <gtest/gtest.h>

#include "security/jwt_verifier.hpp"
#include "token_factory.hpp"

namespace svc::security {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using svc::testing::epoch_seconds;
using svc::testing::sign_token;
using svc::testing::write_file;
namespace fs = std::filesystem;

const std::string secret = "an-hs256-secret-of-32-bytes-or-more!";

class jwt_verifier_test : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    rsa_ = new svc::testing::key_pair{svc::testing::make_rsa_key()};
    ec_ = new svc::testing::key_pair{svc::testing::make_ec_key()};
  }
  static void TearDownTestSuite() {
    delete rsa_;
    delete ec_;
  }

  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "jwt_verifier_XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    fs::create_directories(dir_ / "keys");
    write_file(dir_ / "keys" / "rsa-1.pem", rsa_->public_pem);
    write_file(dir_ / "keys" / "ec-1.pem", ec_->public_pem);
    write_file(dir_ / "secret", secret + "\n");
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  verifier_options options() {
    verifier_options o;
    o.public_keys_dir = dir_ / "keys";
    o.hs256_secret_file = dir_ / "secret";
    o.issuer = "https://issuer.example";
    o.audience = "microservices";
    o.clock_skew = 60s;
    o.key_recheck_interval = 0ms;  // look at the directory on every call
    o.on_key_problem = [this](const std::string& text) { problems_.push_back(text); };
    return o;
  }

  static json claims(json extra = json::object()) {
    json c{{"sub", "alice"},
           {"iss", "https://issuer.example"},
           {"aud", "microservices"},
           {"exp", epoch_seconds(300s)},
           {"scope", "users:read orders:write"}};
    for (auto& [k, v] : extra.items())
      c[k] = v;
    return c;
  }

  static svc::testing::key_pair* rsa_;
  static svc::testing::key_pair* ec_;
  fs::path dir_;
  std::vector<std::string> problems_;
};

svc::testing::key_pair* jwt_verifier_test::rsa_ = nullptr;
svc::testing::key_pair* jwt_verifier_test::ec_ = nullptr;

TEST_F(jwt_verifier_test, good_tokens_of_each_algorithm_are_accepted) {
  jwt_verifier v{options()};
  ASSERT_FALSE(v.startup_error()) << *v.startup_error();
  for (const auto& token : {sign_token("RS256", rsa_->private_pem, "rsa-1", claims()),
                            sign_token("ES256", ec_->private_pem, "ec-1", claims()),
                            sign_token("HS256", secret, "", claims())}) {
    auto r = v.verify(token);
    ASSERT_TRUE(r.ok()) << to_string(r.status);
    EXPECT_EQ(r.subject, "alice");
    EXPECT_EQ(*r.scopes, (scope_set{"orders:write", "users:read"}));
  }
  EXPECT_TRUE(problems_.empty());
}

TEST_F(jwt_verifier_test, expired_and_not_yet_valid_tokens_are_refused_beyond_the_skew) {
  jwt_verifier v{options()};
  EXPECT_EQ(v.verify(sign_token("RS256", rsa_->private_pem, "rsa-1",
                                claims({{"exp", epoch_seconds(-61s)}})))
              .status,
            token_status::expired);
  EXPECT_TRUE(v.verify(sign_token("RS256", rsa_->private_pem, "rsa-1",
                                  claims({{"exp", epoch_seconds(-30s)}})))
                .ok())
    << "within the clock skew";
  EXPECT_EQ(v.verify(sign_token("RS256", rsa_->private_pem, "rsa-1",
                                claims({{"nbf", epoch_seconds(120s)}})))
              .status,
            token_status::not_yet_valid);
  EXPECT_TRUE(
    v.verify(sign_token("RS256", rsa_->private_pem, "rsa-1", claims({{"nbf", epoch_seconds(30s)}})))
      .ok());
}

TEST_F(jwt_verifier_test, a_cached_token_still_expires) {
  jwt_verifier v{options()};
  auto token = sign_token("HS256", secret, "", claims({{"exp", epoch_seconds(10s)}}));
  auto now = std::chrono::system_clock::now();
  ASSERT_TRUE(v.verify(token, now).ok());
  EXPECT_TRUE(v.verify(token, now).from_cache);
  EXPECT_EQ(v.verify(token, now + 71s).status, token_status::expired);
}

TEST_F(jwt_verifier_test, issuer_and_audience_are_checked_when_configured) {
  jwt_verifier v{options()};
  auto sign = [](json c) { return sign_token("ES256", ec_->private_pem, "ec-1", c); };
  EXPECT_EQ(v.verify(sign(claims({{"iss", "https://evil.example"}}))).status,
            token_status::wrong_issuer);
  auto no_iss = claims();
  no_iss.erase("iss");
  EXPECT_EQ(v.verify(sign(no_iss)).status, token_status::wrong_issuer);
  EXPECT_EQ(v.verify(sign(claims({{"aud", "other"}}))).status, token_status::wrong_audience);
  EXPECT_EQ(v.verify(sign(claims({{"aud", json::array({"a", "b"})}}))).status,
            token_status::wrong_audience);
  EXPECT_TRUE(v.verify(sign(claims({{"aud", json::array({"a", "microservices"})}}))).ok());
  auto no_aud = claims();
  no_aud.erase("aud");
  EXPECT_EQ(v.verify(sign(no_aud)).status, token_status::wrong_audience);

  auto open = options();
  open.issuer.clear();
  open.audience.clear();
  jwt_verifier lenient{open};
  EXPECT_TRUE(lenient.verify(sign(claims({{"iss", "anyone"}, {"aud", "anything"}}))).ok());
}

TEST_F(jwt_verifier_test, a_bad_signature_is_refused) {
  jwt_verifier v{options()};
  auto other = svc::testing::make_ec_key();
  EXPECT_EQ(v.verify(sign_token("ES256", other.private_pem, "ec-1", claims())).status,
            token_status::bad_signature);
  EXPECT_EQ(v.verify(sign_token("HS256", secret + "x", "", claims())).status,
            token_status::bad_signature);
  // One changed character in the payload.
  auto token = sign_token("RS256", rsa_->private_pem, "rsa-1", claims());
  auto dot = token.find('.');
  token[dot + 5] = token[dot + 5] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(v.verify(token).ok());
}

TEST_F(jwt_verifier_test, alg_none_is_refused) {
  jwt_verifier v{options()};
  EXPECT_EQ(v.verify(svc::testing::unsigned_token(claims())).status, token_status::malformed);
  EXPECT_EQ(v.verify(svc::testing::unsigned_token(claims(), "rsa-1")).status,
            token_status::malformed);
  // A signature part glued to an unsigned header changes nothing.
  auto token = svc::testing::unsigned_token(claims()) + "c2ln";
  EXPECT_EQ(v.verify(token).status, token_status::unsupported_alg);
}

// The classic confusion: HS256 "signed" with the RSA public key's PEM text, which
// a verifier handing the PEM to an HMAC would accept.
TEST_F(jwt_verifier_test, hs256_signed_with_a_public_key_is_refused) {
  jwt_verifier v{options()};
  EXPECT_FALSE(v.verify(sign_token("HS256", rsa_->public_pem, "rsa-1", claims())).ok());
  auto no_secret = options();
  no_secret.hs256_secret_file.clear();
  jwt_verifier rs_only{no_secret};
  EXPECT_EQ(rs_only.verify(sign_token("HS256", rsa_->public_pem, "rsa-1", claims())).status,
            token_status::unsupported_alg);
  EXPECT_EQ(rs_only.verify(sign_token("HS256", ec_->public_pem, "ec-1", claims())).status,
            token_status::unsupported_alg);
}

TEST_F(jwt_verifier_test, an_algorithm_is_only_checked_with_a_key_of_its_kind) {
  jwt_verifier v{options()};
  // An RS256 token naming the EC key, and the other way round.
  EXPECT_EQ(v.verify(sign_token("RS256", rsa_->private_pem, "ec-1", claims())).status,
            token_status::unsupported_alg);
  EXPECT_EQ(v.verify(sign_token("ES256", ec_->private_pem, "rsa-1", claims())).status,
            token_status::unsupported_alg);
  EXPECT_EQ(v.verify(sign_token("RS384", rsa_->private_pem, "rsa-1", claims())).status,
            token_status::unsupported_alg);
  EXPECT_EQ(v.verify(sign_token("RS256", rsa_->private_pem, "", claims())).status,
            token_status::unknown_key);
  EXPECT_EQ(v.verify(sign_token("RS256", rsa_->private_pem, "nope", claims())).status,
            token_status::unknown_key);
}

TEST_F(jwt_verifier_test, claims_of_the_wrong_shape_are_refused) {
  jwt_verifier v{options()};
  auto sign = [](json c) { return sign_token("HS256", secret, "", c); };
  auto no_exp = claims();
  no_exp.erase("exp");
  EXPECT_EQ(v.verify(sign(no_exp)).status, token_status::bad_claims);
  EXPECT_EQ(v.verify(sign(claims({{"exp", "tomorrow"}}))).status, token_status::bad_claims);
  EXPECT_EQ(v.verify(sign(claims({{"sub", 42}}))).status, token_status::bad_claims);
  EXPECT_EQ(v.verify(sign(claims({{"scope", json::array({"users:read"})}}))).status,
            token_status::bad_claims);
  EXPECT_EQ(v.verify(sign(claims({{"nbf", "now"}}))).status, token_status::bad_claims);
  EXPECT_TRUE(v.verify(sign(claims({{"exp", 1e15}}))).ok())
    << "a far future is clamped, not overflowed";
  EXPECT_TRUE(
    v.verify(sign(claims({{"exp", static_cast<double>(epoch_seconds(100s)) + 0.5}}))).ok());
}

TEST_F(jwt_verifier_test, garbage_is_malformed) {
  jwt_verifier v{options()};
  for (std::string token : std::vector<std::string>{
         "", "abc", "a.b", "a.b.c.d", ".b.c", "a..c", "!!!.b.c", "e30.e30.c2ln",
         std::string(jwt_verifier::max_token_bytes + 1, 'a')})
    EXPECT_EQ(v.verify(token).status, token_status::malformed) << token.substr(0, 40);
}

TEST_F(jwt_verifier_test, a_key_added_to_the_directory_is_used_and_a_removed_one_refused) {
  jwt_verifier v{options()};
  auto rotated = svc::testing::make_rsa_key();
  auto token = sign_token("RS256", rotated.private_pem, "rsa-2", claims());
  EXPECT_EQ(v.verify(token).status, token_status::unknown_key);
  write_file(dir_ / "keys" / "rsa-2.pem", rotated.public_pem);
  EXPECT_TRUE(v.verify(token).ok()) << "without a restart";
  EXPECT_TRUE(v.verify(token).from_cache);
  fs::remove(dir_ / "keys" / "rsa-2.pem");
  EXPECT_EQ(v.verify(token).status, token_status::unknown_key)
    << "a cached token dies with its key";
  // A key replaced under the same kid: tokens of the old key are refused.
  auto old_token = sign_token("RS256", rsa_->private_pem, "rsa-1", claims());
  ASSERT_TRUE(v.verify(old_token).ok());
  write_file(dir_ / "keys" / "rsa-1.pem", rotated.public_pem);
  EXPECT_EQ(v.verify(old_token).status, token_status::bad_signature);
  EXPECT_TRUE(v.verify(sign_token("RS256", rotated.private_pem, "rsa-1", claims())).ok());
}

TEST_F(jwt_verifier_test, keys_are_looked_at_no_more_than_once_per_interval) {
  auto o = options();
  o.key_recheck_interval = 1h;
  jwt_verifier v{o};
  auto rotated = svc::testing::make_ec_key();
  write_file(dir_ / "keys" / "ec-2.pem", rotated.public_pem);
  EXPECT_EQ(v.verify(sign_token("ES256", rotated.private_pem, "ec-2", claims())).status,
            token_status::unknown_key);
}

TEST_F(jwt_verifier_test, unusable_key_files_are_skipped_and_reported_without_their_content) {
  write_file(dir_ / "keys" / "private.pem", rsa_->private_pem);
  write_file(dir_ / "keys" / "short.pem", svc::testing::make_rsa_key(1024).public_pem);
  write_file(dir_ / "keys" / "notes.txt", "not a key");
  jwt_verifier v{options()};
  ASSERT_EQ(problems_.size(), 2u);
  for (const auto& p : problems_) {
    EXPECT_EQ(p.find("PRIVATE"), std::string::npos) << p;
    EXPECT_EQ(p.find("MII"), std::string::npos) << p;
  }
  EXPECT_TRUE(v.verify(sign_token("RS256", rsa_->private_pem, "rsa-1", claims())).ok());
  EXPECT_EQ(v.verify(sign_token("RS256", rsa_->private_pem, "private", claims())).status,
            token_status::unknown_key);
}

TEST_F(jwt_verifier_test, startup_errors) {
  auto o = options();
  o.public_keys_dir = dir_ / "missing";
  EXPECT_TRUE(jwt_verifier{o}.startup_error());
  write_file(dir_ / "short-secret", "too short\n");
  o = options();
  o.hs256_secret_file = dir_ / "short-secret";
  auto error = jwt_verifier{o}.startup_error();
  ASSERT_TRUE(error);
  EXPECT_EQ(error->find("too short"), std::string::npos) << "never the secret itself: " << *error;
  o.hs256_secret_file = dir_ / "no-such-file";
  EXPECT_TRUE(jwt_verifier{o}.startup_error());
}

TEST_F(jwt_verifier_test, verification_is_safe_from_several_threads) {
  jwt_verifier v{options()};
  std::vector<std::string> tokens;
  for (int i = 0; i < 8; ++i)
    tokens.push_back(
      sign_token("HS256", secret, "", claims({{"sub", "user" + std::to_string(i)}})));
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 500; ++i)
        if (!v.verify(tokens[static_cast<std::size_t>(i) % tokens.size()]).ok())
          ++failures;
    });
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(v.cached_tokens(), tokens.size());
}

}  // namespace
}  // namespace svc::security
