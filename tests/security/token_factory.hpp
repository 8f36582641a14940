// Keys and tokens made by the tests themselves: key pairs generated at run time
// with libcrypto (no private key is committed), tokens signed with libjwt.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

namespace svc::testing {

struct key_pair {
  std::string private_pem;
  std::string public_pem;  // -----BEGIN PUBLIC KEY-----
};

// Fresh keys: RSA 2048 (RS256), EC P-256 (ES256), or RSA 1024 (too short).
key_pair make_rsa_key(int bits = 2048);
key_pair make_ec_key();

// A JWS signed with libjwt. `alg` is "RS256", "ES256" or "HS256"; `key` the
// private PEM or the HMAC secret; `kid` empty for none.
std::string sign_token(const std::string& alg, const std::string& key, const std::string& kid,
                       const nlohmann::json& claims);

// An unsigned token ({"alg":"none"}, empty signature), as an attacker would send it.
std::string unsigned_token(const nlohmann::json& claims, const std::string& kid = "");

// Seconds since the epoch, `offset` from now.
long long epoch_seconds(std::chrono::seconds offset = std::chrono::seconds{0});

// Writes `content` to `path` (replacing it: a new inode, as a rotation would).
void write_file(const std::filesystem::path& path, const std::string& content);

}  // namespace svc::testing
