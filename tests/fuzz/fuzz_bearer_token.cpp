// Fuzz target: the Authorization header and the JWT verifier (security/). The
// input is an Authorization header value; its bearer token (if any), and the
// whole input taken as a token, go through a verifier that holds an EC P-256
// public key (kid "ec-1", generated at start) and an HS256 secret. Invariants:
//   - a parsed token is a non-empty token68 run inside the header;
//   - nothing is accepted unless it is a real token: only HS256 tokens signed
//     with the fixed secret below can be (the seeds hold some); an accepted
//     token has a subject and scopes, and a second look answers the same, from
//     the cache;
//   - the verdict for the same token does not change between two calls.
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "fuzz_check.hpp"
#include "security/bearer_token.hpp"
#include "security/jwt_verifier.hpp"

namespace {

namespace fs = std::filesystem;
using namespace svc::security;

// The seeds' valid tokens are signed with it (HS256, exp in 2100).
constexpr const char* fuzz_secret = "fuzz-bearer-token-hs256-secret-0123456789";

fs::path scratch_dir;
jwt_verifier* verifier = nullptr;

void remove_scratch_dir() {
  std::error_code ec;
  fs::remove_all(scratch_dir, ec);
}

std::string ec_public_pem() {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(bio, key);
  char* data = nullptr;
  long size = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<std::size_t>(size));
  BIO_free(bio);
  EVP_PKEY_free(key);
  return pem;
}

void check_verdict(std::string_view token) {
  auto first = verifier->verify(token);
  auto second = verifier->verify(token);
  FUZZ_CHECK(first.status == second.status, to_string(first.status));
  if (!first.ok())
    return;
  FUZZ_CHECK(first.scopes != nullptr);
  FUZZ_CHECK(second.from_cache && second.subject == first.subject);
  FUZZ_CHECK(token.size() <= jwt_verifier::max_token_bytes);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  std::error_code ec;
  auto base = fs::is_directory("/dev/shm", ec) ? fs::path{"/dev/shm"} : fs::temp_directory_path();
  scratch_dir = base / ("fuzz_bearer_" + std::to_string(getpid()));
  fs::create_directories(scratch_dir / "keys", ec);
  if (ec)
    std::abort();
  std::ofstream{scratch_dir / "keys" / "ec-1.pem"} << ec_public_pem();
  std::ofstream{scratch_dir / "hs256"} << fuzz_secret << "\n";
  std::atexit(remove_scratch_dir);
  verifier_options o;
  o.public_keys_dir = scratch_dir / "keys";
  o.hs256_secret_file = scratch_dir / "hs256";
  o.clock_skew = std::chrono::seconds{60};
  o.cache_capacity = 256;
  o.key_recheck_interval = std::chrono::hours{1};  // the files never change here
  verifier = new jwt_verifier{o};
  if (verifier->startup_error())
    std::abort();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view header{reinterpret_cast<const char*>(data), size};
  auto credentials = parse_bearer(&header);
  if (credentials.result == bearer_credentials::status::ok) {
    auto token = credentials.token;
    FUZZ_CHECK(is_token68(token), token);
    FUZZ_CHECK(token.data() >= header.data() &&
               token.data() + token.size() <= header.data() + header.size());
    check_verdict(token);
  } else {
    FUZZ_CHECK(credentials.token.empty());
  }
  check_verdict(header);
  return 0;
}
