// Tokens verified recently, so that a client sending the same token again costs a
// hash and a lookup instead of a signature check. Keyed by the SHA-256 of the
// token (the token itself is never stored), bounded (least recently used entries
// go first), an entry good until the token's `exp`. Thread safe: sharded, one
// mutex per shard, as every I/O thread verifies.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "security/scopes.hpp"

namespace svc::security {

using token_digest = std::array<unsigned char, 32>;

token_digest digest_of(std::string_view token);

struct verified_token {
  std::string subject;
  std::shared_ptr<const scope_set> scopes;
  std::chrono::system_clock::time_point good_until;  // exp plus the allowed clock skew
  std::uint64_t key_id = 0;  // the key that verified it (see key_store): gone -> entry void
};

class token_cache {
public:
  explicit token_cache(std::size_t capacity = 4096);

  // The entry, when present and still good at `now`; an expired one is dropped.
  std::optional<verified_token> find(const token_digest& digest,
                                     std::chrono::system_clock::time_point now);
  void insert(const token_digest& digest, verified_token token);
  void erase(const token_digest& digest);
  std::size_t size() const;

private:
  struct digest_hash {
    std::size_t operator()(const token_digest& d) const noexcept;
  };
  struct shard {
    mutable std::mutex mutex;
    std::list<std::pair<token_digest, verified_token>> lru;  // most recent first
    std::unordered_map<token_digest, decltype(lru)::iterator, digest_hash> index;
  };
  static constexpr std::size_t shard_count = 8;

  shard& shard_for(const token_digest& digest);

  std::size_t per_shard_;
  std::array<shard, shard_count> shards_;
};

}  // namespace svc::security
