#include "security/token_cache.hpp"

#include <cstring>

#include <openssl/evp.h>

namespace svc::security {

token_digest digest_of(std::string_view token) {
  token_digest d{};
  unsigned int size = 0;
  EVP_Digest(token.data(), token.size(), d.data(), &size, EVP_sha256(), nullptr);
  return d;
}

std::size_t token_cache::digest_hash::operator()(const token_digest& d) const noexcept {
  std::size_t h;
  std::memcpy(&h, d.data(), sizeof h);  // a SHA-256 is already well mixed
  return h;
}

token_cache::token_cache(std::size_t capacity)
    : per_shard_{capacity / shard_count > 0 ? capacity / shard_count : 1} {
}

token_cache::shard& token_cache::shard_for(const token_digest& digest) {
  return shards_[digest[31] % shard_count];
}

std::optional<verified_token> token_cache::find(const token_digest& digest,
                                                std::chrono::system_clock::time_point now) {
  auto& s = shard_for(digest);
  std::lock_guard lock{s.mutex};
  auto it = s.index.find(digest);
  if (it == s.index.end())
    return std::nullopt;
  if (it->second->second.good_until <= now) {
    s.lru.erase(it->second);
    s.index.erase(it);
    return std::nullopt;
  }
  s.lru.splice(s.lru.begin(), s.lru, it->second);
  return it->second->second;
}

void token_cache::insert(const token_digest& digest, verified_token token) {
  auto& s = shard_for(digest);
  std::lock_guard lock{s.mutex};
  if (auto it = s.index.find(digest); it != s.index.end()) {
    it->second->second = std::move(token);
    s.lru.splice(s.lru.begin(), s.lru, it->second);
    return;
  }
  s.lru.emplace_front(digest, std::move(token));
  s.index.emplace(digest, s.lru.begin());
  if (s.lru.size() > per_shard_) {
    s.index.erase(s.lru.back().first);
    s.lru.pop_back();
  }
}

void token_cache::erase(const token_digest& digest) {
  auto& s = shard_for(digest);
  std::lock_guard lock{s.mutex};
  if (auto it = s.index.find(digest); it != s.index.end()) {
    s.lru.erase(it->second);
    s.index.erase(it);
  }
}

std::size_t token_cache::size() const {
  std::size_t n = 0;
  for (const auto& s : shards_) {
    std::lock_guard lock{s.mutex};
    n += s.lru.size();
  }
  return n;
}

}  // namespace svc::security
