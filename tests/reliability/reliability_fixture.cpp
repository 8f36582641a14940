#include "reliability/reliability_fixture.hpp"

#include <cctype>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <latch>
#include <thread>

namespace reliability {

std::map<std::string, std::string> hostile_env() {
  return {
    {"HTTP_HEADER_TIMEOUT", std::to_string(header_timeout_seconds)},
    {"HTTP_IDLE_TIMEOUT", std::to_string(idle_timeout_seconds)},
    {"MAX_CONNECTIONS", std::to_string(max_connections)},
    {"MAX_BODY_BYTES", std::to_string(max_body_bytes)},
    {"MAX_HEADER_BYTES", std::to_string(max_header_bytes)},
  };
}

long long ms_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               start)
    .count();
}

namespace {

std::string shown(const std::string& bytes) {
  std::string out;
  for (unsigned char c : bytes.substr(0, 600)) {
    if (c == '\r')
      out += "\\r";
    else if (c == '\n')
      out += "\\n";
    else if (c < 0x20 || c >= 0x7f) {
      static constexpr char hex[] = "0123456789abcdef";
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else
      out += static_cast<char>(c);
  }
  return bytes.size() > 600 ? out + "..." : out;
}

std::string what_happened(const svc_test::raw_result& r) {
  return std::string{"closed "} + (r.closed ? "yes" : "no") + ", timed out " +
         (r.timed_out ? "yes" : "no") + ", received: " + shown(r.received);
}

}  // namespace

::testing::AssertionResult answered(const svc_test::raw_result& r, unsigned status,
                                    const std::string& code) {
  if (r.timed_out)
    return ::testing::AssertionFailure()
           << "no answer and no close before the deadline (a hang): " << what_happened(r);
  if (!r.response)
    return ::testing::AssertionFailure()
           << "expected " << status << " " << code << ", got no response: " << what_happened(r);
  return e2e::is_error(*r.response, status, code);
}

::testing::AssertionResult closed_silently(const svc_test::raw_result& r) {
  if (r.timed_out)
    return ::testing::AssertionFailure()
           << "the connection was neither answered nor closed (a hang): " << what_happened(r);
  if (!r.received.empty())
    return ::testing::AssertionFailure()
           << "expected a close without an answer: " << what_happened(r);
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult refused_4xx_or_closed(const svc_test::raw_result& r) {
  if (r.timed_out)
    return ::testing::AssertionFailure() << "a hang: " << what_happened(r);
  if (!r.response) {
    if (!r.received.empty())
      return ::testing::AssertionFailure()
             << "bytes that are no HTTP response: " << what_happened(r);
    return ::testing::AssertionSuccess();  // closed without an answer
  }
  const auto status = r.response->status;
  if (status < 400 || status > 499)
    return ::testing::AssertionFailure()
           << "expected a 4xx or a close: " << e2e::describe(*r.response);
  if (!e2e::is_json_body(*r.response))
    return e2e::is_json_body(*r.response);
  const auto j = r.response->json();
  if (!j.is_object() || j.value("success", true) != false || !j.contains("error") ||
      !j["error"].is_object() || !j["error"].contains("code"))
    return ::testing::AssertionFailure()
           << "a 4xx outside the error envelope: " << e2e::describe(*r.response);
  return ::testing::AssertionSuccess();
}

std::vector<race_result> race(std::uint16_t port, int n,
                              const std::function<reply(int, svc_test::http_client&)>& call) {
  std::vector<race_result> results(static_cast<std::size_t>(n));
  std::latch start{n};
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i)
    threads.emplace_back([&, i] {
      auto& out = results[static_cast<std::size_t>(i)];
      std::optional<svc_test::http_client> client;
      try {
        client.emplace(port, std::chrono::seconds{30});
        client->get("/health/live");  // connected before the start line
      } catch (const std::exception& e) {
        out.error = e.what();
      }
      start.arrive_and_wait();
      if (!out.error.empty())
        return;
      try {
        out.response = call(i, *client);
      } catch (const std::exception& e) {
        out.error = e.what();
      }
    });
  for (auto& t : threads)
    t.join();
  return results;
}

std::optional<long long> log_time_ms(const std::string& text) {
  std::tm tm{};
  int micros_digits = 0;
  char fraction[16] = {0};
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%15[0-9]Z%n", &tm.tm_year, &tm.tm_mon,
                  &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, fraction, &micros_digits) < 7)
    return std::nullopt;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  std::string ms = std::string{fraction} + "000";
  return static_cast<long long>(timegm(&tm)) * 1000 + std::stoll(ms.substr(0, 3));
}

e2e::running_service hostile_suite::instance_;
std::string hostile_suite::start_error_;

void hostile_suite::SetUpTestSuite() {
  start_error_.clear();
  std::string db = "rel";
  if (const auto* suite = ::testing::UnitTest::GetInstance()->current_test_suite())
    db += std::string{"_"} + suite->name();
  for (auto& c : db)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  try {
    instance_ = e2e::start_user_service(db, hostile_env());
  } catch (const std::exception& e) {
    start_error_ = std::string{"could not start user-service: "} + e.what();
    instance_ = {};
  }
}

void hostile_suite::TearDownTestSuite() {
  if (instance_.process) {
    const auto code = instance_.process->terminate();
    EXPECT_EQ(code, std::optional<int>{0})
      << "user-service did not exit cleanly after the hostile input; log "
      << instance_.process->log_path();
  }
  instance_ = {};
}

void hostile_suite::SetUp() {
  if (!start_error_.empty())
    GTEST_FAIL() << start_error_;
  if (!instance_.process || !instance_.process->running())
    GTEST_FAIL() << "user-service is not running";
  client_ = std::make_unique<svc_test::http_client>(instance_.port, std::chrono::seconds{5});
}

void hostile_suite::TearDown() {
  client_.reset();
  // Whatever the test sent, the process must still be there.
  EXPECT_TRUE(instance_.process->running()) << "user-service died; log tail:\n"
                                            << instance_.process->log_tail();
  if (HasFailure())
    std::cerr << "---- tail of " << instance_.process->log_path() << " ----\n"
              << instance_.process->log_tail(40) << "---- end of log tail ----\n";
}

::testing::AssertionResult hostile_suite::still_serving() {
  try {
    svc_test::http_client fresh{port(), std::chrono::seconds{5}};
    const auto r = fresh.get("/api/v1/users?page_size=1");
    if (r.status != 200 || !e2e::is_json_body(r) || r.json().value("success", false) != true)
      return ::testing::AssertionFailure() << "a normal request failed: " << e2e::describe(r);
    return ::testing::AssertionSuccess();
  } catch (const std::exception& e) {
    return ::testing::AssertionFailure() << "a normal request failed: " << e.what();
  }
}

std::string hostile_suite::tag() {
  return unique_tag();
}

std::string unique_tag() {
  return svc_test::unique_tag("zr");
}

int open_descriptors(int pid) {
  std::error_code ec;
  int n = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
    ++n;
  return ec ? -1 : n;
}

reply hostile_suite::post_raw(const std::string& body) {
  return client().request("POST", "/api/v1/users", body, {{"Content-Type", "application/json"}});
}

long long hostile_suite::users_matching(const std::string& tag) {
  const auto r = client().get("/api/v1/users?search=" + svc_test::url_encode(tag));
  EXPECT_EQ(r.status, 200u) << e2e::describe(r);
  if (r.status != 200)
    return -1;
  return r.json()["meta"].value("total", -1LL);
}

}  // namespace reliability
