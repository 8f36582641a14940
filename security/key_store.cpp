#include "security/key_store.hpp"

#include <algorithm>
#include <atomic>
#include <cstring>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

namespace svc::security {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t max_key_file_bytes = std::size_t{64} * 1024;
constexpr std::size_t min_hs256_secret_bytes = 32;
constexpr int min_rsa_bits = 2048;

std::uint64_t next_key_id() {
  static std::atomic<std::uint64_t> counter{0};
  return ++counter;
}

// The kind of a PEM public key, or nullopt and `why`. OpenSSL's error queue is
// cleared after a failure, so that it never leaks into a later, unrelated check.
std::optional<key_kind> classify_public_key(const std::string& pem, std::string& why) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* key = bio ? PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr) : nullptr;
  BIO_free(bio);
  if (!key) {
    ERR_clear_error();
    why = "not a PEM public key (-----BEGIN PUBLIC KEY-----)";
    return std::nullopt;
  }
  std::optional<key_kind> kind;
  if (EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA) {
    if (EVP_PKEY_get_bits(key) >= min_rsa_bits)
      kind = key_kind::rsa;
    else
      why = "an RSA key shorter than 2048 bits";
  } else if (EVP_PKEY_get_base_id(key) == EVP_PKEY_EC) {
    char group[80] = {};
    std::size_t length = 0;
    if (EVP_PKEY_get_group_name(key, group, sizeof group, &length) == 1 &&
        std::strcmp(group, "prime256v1") == 0)
      kind = key_kind::ec_p256;
    else
      why = "an EC key on a curve other than P-256";
  } else {
    why = "neither an RSA nor an EC key";
  }
  EVP_PKEY_free(key);
  ERR_clear_error();
  return kind;
}

// A kid is the file name without ".pem"; hidden names are skipped (Kubernetes
// secret volumes hold "..data" and friends beside the files).
bool is_key_file_name(const std::string& name) {
  return name.size() > 4 && name.ends_with(".pem") && name.front() != '.';
}

}  // namespace

bool key_set::holds(std::uint64_t id) const {
  if (hmac && hmac->id == id)
    return true;
  return std::any_of(public_keys.begin(), public_keys.end(),
                     [&](const auto& entry) { return entry.second.id == id; });
}

key_store::key_store(key_store_options options)
    : options_{std::move(options)},
      gate_{options_.recheck_interval},
      keys_{std::make_shared<key_set>()} {
  std::error_code ec;
  if (!options_.public_keys_dir.empty() && !fs::is_directory(options_.public_keys_dir, ec))
    startup_error_ = "the keys directory " + options_.public_keys_dir.string() +
                     " is not a directory";
  auto first = look();
  reload(first);
  seen_ = std::move(first);
  gate_.done();
  if (!startup_error_ && !options_.hs256_secret_file.empty() && !keys_->hmac)
    startup_error_ = "the HS256 secret file " + options_.hs256_secret_file.string() +
                     " cannot be read, or holds fewer than 32 bytes";
}

void key_store::problem(const std::string& text) const {
  if (options_.on_problem)
    options_.on_problem(text);
}

key_store::stamps key_store::look() const {
  stamps s;
  if (!options_.public_keys_dir.empty()) {
    std::error_code ec;
    for (fs::directory_iterator it{options_.public_keys_dir, ec}, end; !ec && it != end;
         it.increment(ec)) {
      auto name = it->path().filename().string();
      if (!is_key_file_name(name))
        continue;
      if (auto stamp = stamp_of(it->path()))
        s.key_files.emplace_back(std::move(name), *stamp);
    }
    std::sort(s.key_files.begin(), s.key_files.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
  }
  if (!options_.hs256_secret_file.empty())
    s.secret_file = stamp_of(options_.hs256_secret_file);
  return s;
}

std::shared_ptr<const key_set> key_store::current() {
  if (gate_.try_begin()) {
    auto now_seen = look();
    if (!(now_seen == seen_)) {
      reload(now_seen);
      seen_ = std::move(now_seen);
    }
    gate_.done();
  }
  std::lock_guard lock{mutex_};
  return keys_;
}

void key_store::reload(const stamps& now_seen) {
  std::shared_ptr<const key_set> before;
  {
    std::lock_guard lock{mutex_};
    before = keys_;
  }
  auto after = std::make_shared<key_set>();
  // Not a structured binding: clang 14 (the fuzz build) cannot capture one in a lambda.
  for (const auto& file : now_seen.key_files) {
    const auto& name = file.first;
    const auto& stamp = file.second;
    auto kid = name.substr(0, name.size() - 4);
    // An unchanged file keeps its key, and its id: tokens cached under it stay good.
    auto old_stamp = std::find_if(seen_.key_files.begin(), seen_.key_files.end(),
                                  [&](const auto& entry) { return entry.first == name; });
    auto old_key = before->public_keys.find(kid);
    if (old_stamp != seen_.key_files.end() && old_stamp->second == stamp &&
        old_key != before->public_keys.end()) {
      after->public_keys.emplace(kid, old_key->second);
      continue;
    }
    std::string why;
    auto pem = read_small_file(options_.public_keys_dir / name, max_key_file_bytes, why);
    auto kind = pem ? classify_public_key(*pem, why) : std::nullopt;
    if (!kind) {
      problem("key file " + (options_.public_keys_dir / name).string() + " skipped: " + why);
      continue;
    }
    after->public_keys.emplace(kid, verification_key{*kind, std::move(*pem), next_key_id()});
  }
  if (!options_.hs256_secret_file.empty()) {
    if (now_seen.secret_file && seen_.secret_file == now_seen.secret_file && before->hmac) {
      after->hmac = before->hmac;
    } else {
      std::string why;
      auto secret = read_small_file(options_.hs256_secret_file, max_key_file_bytes, why);
      if (secret)
        *secret = without_trailing_newlines(std::move(*secret));
      if (secret && secret->size() < min_hs256_secret_bytes)
        why = "the secret is shorter than 32 bytes";
      if (secret && why.empty())
        after->hmac = verification_key{key_kind::hmac, std::move(*secret), next_key_id()};
      else
        problem("HS256 secret file " + options_.hs256_secret_file.string() + " not used: " + why);
    }
  }
  std::lock_guard lock{mutex_};
  keys_ = std::move(after);
}

}  // namespace svc::security
