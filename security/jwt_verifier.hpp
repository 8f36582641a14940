// Verifies a bearer JWT (RFC 7519) with libjwt against the keys of a key_store:
//   - alg RS256 or ES256: the key `<kid>.pem` of the token's `kid` header, which
//     must be an RSA key (RS256) or a P-256 key (ES256); HS256: the secret file.
//     Anything else ("none", HS384, a PEM key for HS256, ...) is refused: libjwt
//     1.10 verifies with whatever `alg` the token names, so the algorithm is
//     chosen here, from the key, and checked again after decoding.
//   - claims: `exp` required and in the future, `nbf` (if present) reached, both
//     with the clock skew allowed; `iss` and `aud` (a string or an array) when
//     configured; `sub` and `scope` strings when present.
// Verified tokens are cached (token_cache) until `exp`, unless their key goes.
// Pure: no actors, no HTTP; `now` is a parameter for tests.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "security/key_store.hpp"
#include "security/scopes.hpp"
#include "security/token_cache.hpp"

namespace svc::security {

struct verifier_options {
  std::filesystem::path public_keys_dir;    // AUTH_PUBLIC_KEYS_DIR
  std::filesystem::path hs256_secret_file;  // AUTH_HS256_SECRET_FILE
  std::string issuer;                       // AUTH_ISSUER; empty: not checked
  std::string audience;                     // AUTH_AUDIENCE; empty: not checked
  std::chrono::seconds clock_skew{60};      // AUTH_CLOCK_SKEW
  std::size_t cache_capacity = 4096;
  std::chrono::milliseconds key_recheck_interval{1000};
  std::function<void(const std::string&)> on_key_problem;  // see key_store_options
};

// Why a token was refused, for the service's own log only: a client is told no
// more than RFC 6750's "invalid_token".
enum class token_status {
  ok,
  malformed,        // not three base64url parts, a header that is not JSON, too long
  unsupported_alg,  // "none", or an algorithm without a key of its kind configured
  unknown_key,      // no <kid>.pem for the token's kid (or no kid)
  bad_signature,
  expired,
  not_yet_valid,
  wrong_issuer,
  wrong_audience,
  bad_claims,  // no exp, or exp/nbf/sub/scope of the wrong type
};

std::string_view to_string(token_status status);

struct verification {
  token_status status = token_status::malformed;
  std::string subject;                      // when ok
  std::shared_ptr<const scope_set> scopes;  // when ok; never null then
  bool from_cache = false;

  bool ok() const { return status == token_status::ok; }
};

class jwt_verifier {
public:
  explicit jwt_verifier(verifier_options options);

  // See key_store::startup_error().
  const std::optional<std::string>& startup_error() const { return keys_.startup_error(); }

  verification verify(std::string_view token,
                      std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

  std::size_t cached_tokens() const { return cache_.size(); }

  // Longest token looked at; a longer one is malformed without further work.
  static constexpr std::size_t max_token_bytes = 8192;

private:
  verifier_options options_;
  key_store keys_;
  token_cache cache_;
};

}  // namespace svc::security
