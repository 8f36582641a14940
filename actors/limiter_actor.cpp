#include "actors/limiter_actor.hpp"

#include <algorithm>
#include <unordered_map>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

namespace svc {
namespace {

using clock = std::chrono::steady_clock;

constexpr auto sweep_interval = std::chrono::seconds{10};

struct limiter_state {
  static inline const char* name = "limiter";
  limiter_config config;
  std::unordered_map<std::string, token_bucket> buckets;
};

using limiter_pointer = limiter_actor::stateful_pointer<limiter_state>;

// A full bucket carries no information: dropping it is exact, not approximate.
void forget_full_buckets(limiter_pointer self, clock::time_point now) {
  auto& st = self->state;
  std::erase_if(st.buckets, [&](const auto& entry) { return entry.second.full(st.config.settings, now); });
}

void make_room(limiter_pointer self, clock::time_point now) {
  auto& st = self->state;
  forget_full_buckets(self, now);
  if (st.buckets.size() < st.config.max_clients)
    return;
  // Still too many clients mid-burst: forget the tenth idle longest. They restart
  // with a full bucket, the only inexactness, and only under an address flood.
  std::vector<std::pair<clock::time_point, const std::string*>> by_age;
  by_age.reserve(st.buckets.size());
  for (const auto& [client, bucket] : st.buckets)
    by_age.emplace_back(bucket.last_seen(), &client);
  auto victims = by_age.begin() + static_cast<std::ptrdiff_t>(by_age.size() / 10 + 1);
  std::nth_element(by_age.begin(), victims, by_age.end());
  std::vector<std::string> doomed;
  for (auto it = by_age.begin(); it != victims; ++it)
    doomed.push_back(*it->second);
  for (const auto& client : doomed)
    st.buckets.erase(client);
}

limiter_actor::behavior_type limiter(limiter_pointer self, limiter_config config) {
  self->state.config = std::move(config);
  self->delayed_send(self, sweep_interval, rate_sweep_atom::value);
  return {
    [=](rate_check_atom, const std::string& client) {
      auto& st = self->state;
      auto now = clock::now();
      auto it = st.buckets.find(client);
      if (it == st.buckets.end()) {
        if (st.buckets.size() >= st.config.max_clients)
          make_room(self, now);
        it = st.buckets.emplace(client, token_bucket{st.config.settings, now}).first;
      }
      auto decision = it->second.take(st.config.settings, now);
      if (!decision.allowed && st.config.metrics)
        st.config.metrics->rate_limited();
      return decision;
    },
    [=](rate_clients_atom) { return self->state.buckets.size(); },
    [=](rate_sweep_atom) {
      forget_full_buckets(self, clock::now());
      self->delayed_send(self, sweep_interval, rate_sweep_atom::value);
    },
  };
}

}  // namespace

limiter_actor spawn_limiter(caf::actor_system& sys, limiter_config config) {
  return sys.spawn(limiter, std::move(config));
}

}  // namespace svc
