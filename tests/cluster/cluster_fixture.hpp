// cluster_fixture.hpp: deploy/cluster.sh (two replicas of each service behind
// HAProxy, PgBouncer in transaction mode, Redis for the rate limiter), started per
// test on the ctest fixture's PostgreSQL, and a load of reads and writes through
// HAProxy that records every failure and every acknowledged write.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace cluster {

class local_cluster {
public:
  // Starts the cluster in a fresh directory, on fresh databases named after
  // `name`; `settings` (KEY=VALUE) reach every replica. Throws when it fails.
  local_cluster(const std::string& name, std::map<std::string, std::string> settings = {});
  ~local_cluster();  // cluster.sh stop
  local_cluster(const local_cluster&) = delete;
  local_cluster& operator=(const local_cluster&) = delete;

  // A value of the cluster's env file (USERS_PORT, ORDERS_PORT, ...).
  std::string value(const std::string& key) const;
  std::uint16_t port(const std::string& key) const;
  // cluster.sh ACTION DIR REPLICA (restart, kill, up); the script's exit status.
  int replica(const std::string& action, const std::string& replica) const;
  // One value (first column of the first row) of `sql` on the service's own
  // database ("users" or "orders"), through PostgreSQL itself.
  std::string query(const std::string& database, const std::string& sql) const;
  // The last lines of a replica's log, for failure messages.
  std::string log_tail(const std::string& replica) const;
  // The executable a replica runs now (/proc/PID/exe), or "" when it is not running.
  std::string executable(const std::string& replica) const;

private:
  std::string run(const std::string& command) const;
  std::string dir_;
  std::string prefix_;
};

// Threads sending requests through HAProxy until stop(). Each kind of worker loops
// on one scenario; every non-2xx status and every transport error is recorded.
class load {
public:
  struct failure {
    std::string what;  // "POST /api/v1/users: 502 ..." or the transport error
  };

  load() = default;
  ~load() { stop(); }
  load(const load&) = delete;
  load& operator=(const load&) = delete;

  // `threads` workers creating users (Idempotency-Key) and reading them back.
  void users(std::uint16_t port, int threads);
  // `threads` workers creating orders for `user_id` (Idempotency-Key) and reading
  // them back. A failed create is sent again with the same key and body until it
  // succeeds (`retry_failed_writes`), as a careful client does.
  void orders(std::uint16_t port, int threads, long long user_id, bool retry_failed_writes = false);
  void stop();

  std::vector<failure> failures() const;
  // Writes acknowledged with 201: (resource path, unique name) of each.
  std::vector<std::pair<std::string, std::string>> acknowledged() const;
  long long requests() const { return requests_.load(); }

private:
  void record_failure(std::string what);
  void record_write(std::string path, std::string unique);

  std::atomic<bool> stopping_{false};
  std::atomic<long long> requests_{0};
  std::atomic<long long> next_{0};
  mutable std::mutex mutex_;
  std::vector<failure> failures_;
  std::vector<std::pair<std::string, std::string>> acknowledged_;
  std::vector<std::thread> threads_;
};

std::string describe(const std::vector<load::failure>& failures);

}  // namespace cluster
