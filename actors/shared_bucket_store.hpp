// The limiter's Redis side (RATE_LIMIT_BACKEND=redis): the client buckets of
// every replica in one Redis, one EVALSHA round trip per check
// (resilience/shared_bucket_script.hpp), over one asynchronous connection
// (actors/redis_connection.hpp) that is resolved, connected and set up in the
// background and set up again with backoff after it fails.
//
// It never makes a check wait long: a check answers nullopt (the caller's local
// bucket decides) while Redis is not reachable, and when Redis has not answered
// within `answer_within`. The state changes (up / down) are logged once each
// and exported as the gauge rate_limit_backend_up.
//
// Not an actor and not thread-safe: the limiter actor owns it and calls it from
// its handlers only; what happens on an I/O thread (socket readiness, a name
// resolved) comes back to the limiter as a message (`hooks`).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "actors/redis_connection.hpp"
#include "config/redis_url.hpp"
#include "resilience/token_bucket.hpp"

namespace svc {

class service_metrics;

class shared_bucket_store {
public:
  using clock = std::chrono::steady_clock;

  struct options {
    redis_endpoint endpoint;
    std::string service;  // the key prefix: ratelimit:<service>:<client>
    rate_limit_settings limits;
    // Longest a check waits for Redis before the local bucket decides.
    std::chrono::milliseconds answer_within{50};
    // Longest a connection may take to be set up; also how long a command may
    // stay unanswered before the connection counts as dead (a hung server).
    std::chrono::milliseconds connect_within{1000};
    std::chrono::milliseconds backoff_min{100};
    std::chrono::milliseconds backoff_max{5000};
    std::size_t max_waiting = 10000;  // checks awaiting Redis at most; more decide locally
    std::shared_ptr<service_metrics> metrics;
  };

  // Both are called on an I/O thread: they must hand over to the owner, which
  // then calls on_socket_ready / on_resolved from its own context.
  struct hooks {
    redis_connection::notify_fn socket_ready;
    std::function<void(std::uint64_t attempt, std::string address, std::string error)> resolved;
  };

  // The decision of the shared bucket, or nullopt: the local bucket decides.
  using answer_fn = std::function<void(std::optional<rate_decision>)>;

  shared_bucket_store(options opts, hooks h, boost::asio::io_context& io);
  ~shared_bucket_store();  // closes; answers still awaited are dropped, not called
  shared_bucket_store(const shared_bucket_store&) = delete;
  shared_bucket_store& operator=(const shared_bucket_store&) = delete;

  // Starts the first connection attempt.
  void start();

  // Takes a token from `client`'s shared bucket. `answer` is called exactly once
  // (maybe before check returns), from check, on_socket_ready or tick.
  void check(const std::string& client, answer_fn answer);

  void on_socket_ready(std::uint64_t generation, bool writable);
  void on_resolved(std::uint64_t attempt, const std::string& address, const std::string& error);

  // Answers the checks Redis has not answered in time, gives up on a connection
  // that takes too long or went silent, and retries when the backoff is over.
  void tick();

  // When tick() has something to do next; nullopt: nothing until a check or a
  // socket event.
  std::optional<clock::time_point> next_tick() const;

  bool up() const { return state_ == state::up; }

private:
  enum class state { down, resolving, connecting, up };

  void attempt();
  void handshake();
  void fail(const std::string& reason);
  void report(bool reachable, const std::string& reason);
  void send_check(std::uint64_t id, const std::string& key, bool with_source);
  void on_check_reply(std::uint64_t id, const std::string& key, const redis_value* reply);
  void finish(std::uint64_t id, std::optional<rate_decision> decision);
  std::string where() const;

  options opts_;
  hooks hooks_;
  boost::asio::io_context& io_;
  std::vector<std::string> script_arguments_;
  state state_ = state::down;
  std::optional<bool> reported_up_;  // what was last logged: each change once
  std::uint64_t attempt_ = 0;
  clock::time_point deadline_{};  // of the attempt (resolving, connecting)
  clock::time_point retry_at_{};  // down: the next attempt
  std::chrono::milliseconds backoff_;
  std::optional<std::string> failure_;  // seen inside a hiredis callback, acted on after it
  std::string sha_;                     // of the loaded script
  std::string last_reply_error_;        // logged once until another one comes
  std::uint64_t next_id_ = 0;
  std::unordered_map<std::uint64_t, answer_fn> waiting_;
  std::deque<std::pair<std::uint64_t, clock::time_point>> deadlines_;  // in order of id
  std::deque<clock::time_point> sent_;  // check commands unanswered by Redis, oldest first
  bool closing_ = false;
  // Last: destroyed first, while what its reply callbacks touch still exists.
  redis_connection conn_;
};

}  // namespace svc
