// reliability_fixture.hpp: what the reliability suites share on top of the
// end-to-end harness (tests/e2e/): a user-service started with short protocol
// timeouts and a small connection limit, the checks "refused cleanly" and "still
// serving", and a timer for the figures docs/RELIABILITY.md reports.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "e2e/e2e_fixture.hpp"
#include "support/raw_connection.hpp"

namespace reliability {

using namespace std::chrono_literals;
using e2e::json;
using svc_test::parse_responses;
using svc_test::raw_connection;
using svc_test::reply;

// Open file descriptors of process `pid` (sockets included); -1 when unknown.
int open_descriptors(int pid);

// Settings of the hostile-input instances: short enough that slow and idle
// clients are cut off within the test's time budget.
inline constexpr int header_timeout_seconds = 1;
inline constexpr int idle_timeout_seconds = 2;
inline constexpr std::size_t max_connections = 32;
inline constexpr std::size_t max_body_bytes = 65536;  // room for deep and huge JSON
inline constexpr std::size_t max_header_bytes = 8192;

std::map<std::string, std::string> hostile_env();

// Client threads of a load test: stopped and joined however the test ends (a
// failed ASSERT or an exception must not leave them joinable: std::terminate).
struct load_threads {
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  ~load_threads() { join(); }
  void join() {
    stop = true;
    for (auto& t : threads)
      if (t.joinable())
        t.join();
  }
};

// A fresh lower-case token, unique within the run: for names, emails, searches.
std::string unique_tag();

// Milliseconds since `start`, for the figures printed as "reliability: ..." lines.
long long ms_since(std::chrono::steady_clock::time_point start);

// A hostile exchange ended acceptably: `status` with error code `code` in the
// contract's JSON envelope (request_id included).
::testing::AssertionResult answered(const svc_test::raw_result& r, unsigned status,
                                    const std::string& code);
// ... or the server closed the connection without an answer (and did not hang).
::testing::AssertionResult closed_silently(const svc_test::raw_result& r);
// Either of the two, for inputs where both are sound: a 4xx in the envelope, or a close.
::testing::AssertionResult refused_4xx_or_closed(const svc_test::raw_result& r);

// Outcome of one call of a race: the reply, or the transport error that ended it.
struct race_result {
  reply response;
  std::string error;
};

// Runs `n` calls `call(i, client)` at the same moment: one thread and one already
// connected client (to 127.0.0.1:port) each, released together by a latch.
std::vector<race_result> race(std::uint16_t port, int n,
                              const std::function<reply(int, svc_test::http_client&)>& call);

// Milliseconds since the epoch of an RFC 3339 UTC time as the services log it
// ("2026-01-02T03:04:05.123456Z"); nullopt when it does not parse.
std::optional<long long> log_time_ms(const std::string& rfc3339);

// Base of the suites that hammer one user-service started with hostile_env().
class hostile_suite : public ::testing::Test {
public:
  static void SetUpTestSuite();
  static void TearDownTestSuite();

protected:
  void SetUp() override;
  void TearDown() override;

  static std::uint16_t port() { return instance_.port; }
  static e2e::service_process& service() { return *instance_.process; }
  svc_test::http_client& client() { return *client_; }

  // A fresh lower-case token, unique within the run.
  static std::string tag();

  // A normal request on a new connection: GET of the list, 200 in the envelope.
  ::testing::AssertionResult still_serving();
  // POST /api/v1/users with `body` sent as it is; the reply.
  reply post_raw(const std::string& body);
  // The number of users whose name or email contains `tag`.
  long long users_matching(const std::string& tag);

private:
  static e2e::running_service instance_;
  static std::string start_error_;
  std::unique_ptr<svc_test::http_client> client_;
};

}  // namespace reliability
