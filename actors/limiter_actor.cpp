#include "actors/limiter_actor.hpp"

#include <algorithm>
#include <unordered_map>
#include <vector>

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/shared_bucket_store.hpp"
#include "config/redis_url.hpp"
#include "http/io_threads.hpp"
#include "observability/log.hpp"

namespace svc {
namespace {

// The shared backend's deadlines are steady_clock's (shared_bucket_store); the
// local buckets read the actor's clock (self->clock(): steady_clock in the
// services, a test scheduler's own clock in tests/actors/limiter_timing_test.cpp).
using clock = std::chrono::steady_clock;

constexpr auto sweep_interval = std::chrono::seconds{10};
// The shared backend's timer runs at most this often: its deadlines (an answer
// overdue, a reconnect) are met this late at worst, and a busy limiter does not
// set one timer per request.
constexpr auto min_tick_spacing = std::chrono::milliseconds{10};

struct limiter_state {
  static inline const char* name = "limiter";
  limiter_config config;
  std::unordered_map<std::string, token_bucket> buckets;
  std::shared_ptr<http::io_threads> own_io;  // when the shared config brings none
  std::unique_ptr<shared_bucket_store> shared;
  // The one live tick: when it is due, and its number (an earlier one, replaced
  // by a sooner tick, arrives with an older number and is dropped).
  std::optional<clock::time_point> tick_at;
  std::uint64_t tick_number = 0;
};

using limiter_pointer = limiter_actor::stateful_pointer<limiter_state>;

// A full bucket carries no information: dropping it is exact, not approximate.
void forget_full_buckets(limiter_pointer self, clock::time_point now) {
  auto& st = self->state;
  std::erase_if(st.buckets,
                [&](const auto& entry) { return entry.second.full(st.config.settings, now); });
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

// The decision of this process's own bucket for `client`.
rate_decision local_decision(limiter_pointer self, const std::string& client) {
  auto& st = self->state;
  auto now = self->clock().now();
  auto it = st.buckets.find(client);
  if (it == st.buckets.end()) {
    if (st.buckets.size() >= st.config.max_clients)
      make_room(self, now);
    it = st.buckets.emplace(client, token_bucket{st.config.settings, now}).first;
  }
  return it->second.take(st.config.settings, now);
}

rate_decision counted(limiter_pointer self, rate_decision d) {
  if (!d.allowed && self->state.config.metrics)
    self->state.config.metrics->rate_limited();
  return d;
}

// Asks for the shared backend's next tick unless one is due by then already.
void arrange_tick(limiter_pointer self) {
  auto& st = self->state;
  auto next = st.shared ? st.shared->next_tick() : std::nullopt;
  if (!next)
    return;
  auto now = clock::now();
  auto at = std::max(*next, now + min_tick_spacing);
  if (st.tick_at && *st.tick_at <= at)
    return;  // the live tick comes sooner
  st.tick_at = at;
  self->delayed_send(self, std::chrono::ceil<std::chrono::milliseconds>(at - now),
                     rate_tick_atom::value, ++st.tick_number);
}

void start_shared_backend(limiter_pointer self) {
  auto& st = self->state;
  const auto& cfg = *st.config.shared;
  auto endpoint = parse_redis_url(cfg.redis_url);
  if (!endpoint) {  // the settings loader refuses such a URL: only a caller's mistake
    log::error("malformed Redis URL for the rate limiter; its buckets stay local");
    return;
  }
  auto io = cfg.io;
  if (!io) {
    st.own_io = std::make_shared<http::io_threads>(1, "limiter-io");
    st.own_io->start();
    io = st.own_io;
  }
  shared_bucket_store::options opts;
  opts.endpoint = std::move(*endpoint);
  opts.service = cfg.service;
  opts.limits = st.config.settings;
  opts.answer_within = cfg.answer_within;
  opts.metrics = st.config.metrics;
  // Weak: the limiter's own state must not keep the limiter alive.
  caf::weak_actor_ptr weak{self->ctrl()};
  shared_bucket_store::hooks hooks;
  hooks.socket_ready = [weak](std::uint64_t generation, bool writable) {
    if (auto strong = weak.lock())
      caf::anon_send(caf::actor_cast<limiter_actor>(strong), rate_socket_atom::value, generation,
                     writable);
  };
  hooks.resolved = [weak](std::uint64_t attempt, std::string address, std::string error) {
    if (auto strong = weak.lock())
      caf::anon_send(caf::actor_cast<limiter_actor>(strong), rate_resolved_atom::value, attempt,
                     std::move(address), std::move(error));
  };
  st.shared = std::make_unique<shared_bucket_store>(std::move(opts), std::move(hooks),
                                                    io->context(0));
  st.shared->start();
  arrange_tick(self);
}

caf::result<rate_decision> check(limiter_pointer self, const std::string& client) {
  auto& st = self->state;
  if (!st.shared)
    return counted(self, local_decision(self, client));
  if (!st.shared->up()) {
    if (st.config.metrics)
      st.config.metrics->rate_limit_fallback();
    return counted(self, local_decision(self, client));
  }
  auto promise = self->make_response_promise<rate_decision>();
  st.shared->check(client, [self, promise, client](std::optional<rate_decision> shared) mutable {
    if (!shared && self->state.config.metrics)
      self->state.config.metrics->rate_limit_fallback();
    promise.deliver(counted(self, shared ? *shared : local_decision(self, client)));
  });
  arrange_tick(self);
  return promise;
}

limiter_actor::behavior_type limiter(limiter_pointer self, limiter_config config) {
  self->state.config = std::move(config);
  self->delayed_send(self, sweep_interval, rate_sweep_atom::value);
  if (self->state.config.shared)
    start_shared_backend(self);
  return {
    [=](rate_check_atom, const std::string& client) { return check(self, client); },
    [=](rate_clients_atom) { return self->state.buckets.size(); },
    [=](rate_shared_atom) { return self->state.shared && self->state.shared->up(); },
    [=](rate_sweep_atom) {
      forget_full_buckets(self, self->clock().now());
      self->delayed_send(self, sweep_interval, rate_sweep_atom::value);
    },
    [=](rate_socket_atom, std::uint64_t generation, bool writable) {
      if (auto& shared = self->state.shared) {
        shared->on_socket_ready(generation, writable);
        arrange_tick(self);
      }
    },
    [=](rate_resolved_atom, std::uint64_t attempt, const std::string& address,
        const std::string& error) {
      if (auto& shared = self->state.shared) {
        shared->on_resolved(attempt, address, error);
        arrange_tick(self);
      }
    },
    [=](rate_tick_atom, std::uint64_t number) {
      auto& st = self->state;
      if (number != st.tick_number)
        return;
      st.tick_at.reset();
      if (st.shared) {
        st.shared->tick();
        arrange_tick(self);
      }
    },
  };
}

}  // namespace

limiter_actor spawn_limiter(caf::actor_system& sys, limiter_config config) {
  return sys.spawn(limiter, std::move(config));
}

}  // namespace svc
