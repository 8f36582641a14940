// The keys tokens are checked against, as files:
//   - AUTH_PUBLIC_KEYS_DIR: one `<kid>.pem` per key, a PEM public key
//     (-----BEGIN PUBLIC KEY-----), RSA of at least 2048 bits (RS256) or EC on
//     P-256 (ES256); the token's `kid` header picks the file;
//   - AUTH_HS256_SECRET_FILE: the HS256 secret, at least 32 bytes (RFC 7518 3.2),
//     trailing newlines stripped.
// Each key carries its kind, so that an algorithm is only ever checked with a key
// of its own kind (a PEM public key is never an HMAC secret).
//
// Files are looked at again at most once per recheck interval, by one caller,
// with stat() only; a file is read again only when its stamp (inode, size, mtime)
// changed. So keys rotate without a restart: a new `<kid>.pem` is used within a
// second, a removed one refused within a second.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "security/file_stamp.hpp"

namespace svc::security {

enum class key_kind { rsa, ec_p256, hmac };

struct verification_key {
  key_kind kind = key_kind::hmac;
  std::string material;  // PEM text, or the raw secret
  std::uint64_t id = 0;  // unique per loaded file version: a cached token names it
};

struct key_set {
  std::map<std::string, verification_key, std::less<>> public_keys;  // by kid
  std::optional<verification_key> hmac;

  // Whether the key that verified a cached token is still one of these.
  bool holds(std::uint64_t id) const;
};

struct key_store_options {
  std::filesystem::path public_keys_dir;    // empty: no RS256/ES256
  std::filesystem::path hs256_secret_file;  // empty: no HS256
  std::chrono::milliseconds recheck_interval{1000};
  // Told about each file that is skipped or cannot be read (never its content).
  std::function<void(const std::string&)> on_problem;
};

class key_store {
public:
  explicit key_store(key_store_options options);

  // Set when the configuration cannot work at all: the keys directory is not a
  // directory, the secret file cannot be read or is too short. The service then
  // refuses to start.
  const std::optional<std::string>& startup_error() const { return startup_error_; }

  // The keys now; looks at the files first when the recheck interval has passed.
  std::shared_ptr<const key_set> current();

private:
  struct stamps {
    std::vector<std::pair<std::string, file_stamp>> key_files;  // by name
    std::optional<file_stamp> secret_file;
    bool operator==(const stamps&) const = default;
  };

  stamps look() const;
  void reload(const stamps& now_seen);
  void problem(const std::string& text) const;

  key_store_options options_;
  recheck_gate gate_;
  std::optional<std::string> startup_error_;
  stamps seen_;       // guarded by the gate (one caller at a time)
  std::mutex mutex_;  // guards keys_
  std::shared_ptr<const key_set> keys_;
};

}  // namespace svc::security
