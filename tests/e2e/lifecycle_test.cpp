// Start-up and shutdown of the process itself: each test runs its own instance.
#include <fstream>
#include <iterator>
#include <regex>
#include <string_view>

#include "e2e/e2e_fixture.hpp"
#include "runtime/cpu_budget.hpp"

namespace e2e {
namespace {

using namespace std::chrono_literals;

class Lifecycle : public ::testing::Test {
protected:
  void TearDown() override {
    if (HasFailure() && !log_path_.empty())
      std::cerr << "---- tail of " << log_path_ << " ----\n"
                << file_tail(log_path_, 40) << "---- end ----\n";
  }
  std::string log_path_;
};

TEST_F(Lifecycle, SigtermExitsWithStatusZero) {
  running_service s;
  ASSERT_NO_THROW(s = start_user_service("e2e_users_lifecycle_shutdown"));
  log_path_ = s.process->log_path();
  http_client client{s.port};
  const auto created = client.post("/api/v1/users",
                                   {{"name", "Before Shutdown"}, {"email", "bye@example.com"}});
  EXPECT_EQ(created.status, 201u) << describe(created);

  const auto code = s.process->terminate(45s);
  ASSERT_TRUE(code.has_value()) << "no exit within 45 s of SIGTERM";
  EXPECT_EQ(*code, 0) << "exit status after SIGTERM";
  EXPECT_THROW(http_client(s.port, 2s).get("/health/live"), std::runtime_error)
    << "nobody listens any more";
}

// HTTP_THREADS=0, the default: half the CPUs the process may use, at least one,
// as the effective settings logged at start-up say (runtime/cpu_budget.hpp).
TEST_F(Lifecycle, HttpThreadsZeroRunsOnHalfItsCpus) {
  running_service s;
  ASSERT_NO_THROW(s = start_user_service("e2e_users_lifecycle_threads", {{"HTTP_THREADS", "0"}}));
  log_path_ = s.process->log_path();
  EXPECT_EQ(http_client{s.port}.get("/health/live").status, 200u);
  const auto expected = std::to_string(svc::io_threads_for(0, svc::available_cpus()));
  const std::regex line{R"re("key":"scheduler\.io-threads","value":"(\d+)")re"};
  std::smatch found;
  const auto log = s.process->log_text();
  ASSERT_TRUE(std::regex_search(log, found, line)) << "no io-threads setting logged";
  EXPECT_EQ(found[1].str(), expected);
}

// The service runs on the malloc the build chose (SVC_ALLOCATOR in CMakeLists.txt):
// jemalloc's library is mapped into the process, or, with "system" (and in sanitizer
// builds), it is not. Linked "as needed", jemalloc would be dropped without a word.
TEST_F(Lifecycle, RunsOnTheMallocTheBuildChose) {
  running_service s;
  ASSERT_NO_THROW(s = start_user_service("e2e_users_lifecycle_malloc"));
  log_path_ = s.process->log_path();
  EXPECT_EQ(http_client{s.port}.get("/health/live").status, 200u);
  std::ifstream maps{"/proc/" + std::to_string(s.process->pid()) + "/maps"};
  ASSERT_TRUE(maps.good());
  const std::string text{std::istreambuf_iterator<char>{maps}, {}};
  const bool jemalloc_mapped = text.find("/libjemalloc.so") != std::string::npos;
  EXPECT_EQ(jemalloc_mapped, std::string_view{SVC_SERVICE_MALLOC} == "jemalloc")
    << "built with SVC_ALLOCATOR=" << SVC_SERVICE_MALLOC;
}

// A bad value stops start-up with exit code 2 and output naming the option.
// (Plain tests, not parameterized ones: those would run after the outage test.)
void expect_bad_setting_refused(const std::string& env_name, const std::string& value,
                                const std::string& option_pattern, std::string& log_path) {
  SCOPED_TRACE(env_name + "=" + value);
  const auto port = free_port();
  std::string db_url;
  ASSERT_NO_THROW(db_url = fresh_database("e2e_users_lifecycle_bad"));
  auto env = instance_env(port, db_url);
  env[env_name] = value;
  service_process proc{{.executable = user_service_binary,
                        .args = {},
                        .env = env,
                        .log_name = "e2e_users_bad_" + env_name}};
  log_path = proc.log_path();
  const auto code = proc.wait_exit(15s);
  ASSERT_TRUE(code.has_value()) << "start-up was not stopped within 15 s";
  EXPECT_EQ(*code, 2) << "exit code";
  const auto log = proc.log_text();
  EXPECT_TRUE(std::regex_search(log, std::regex{option_pattern, std::regex::icase}))
    << "the output does not name the option (" << option_pattern << "):\n"
    << log;
}

TEST_F(Lifecycle, UnparsablePortStopsStartUpWithExitCode2) {
  expect_bad_setting_refused("HTTP_PORT", "abc", "http[._-]port", log_path_);
}

TEST_F(Lifecycle, OutOfRangePortStopsStartUpWithExitCode2) {
  expect_bad_setting_refused("HTTP_PORT", "70000", "http[._-]port", log_path_);
}

TEST_F(Lifecycle, NegativeBodyLimitStopsStartUpWithExitCode2) {
  expect_bad_setting_refused("MAX_BODY_BYTES", "-1", "max[._-]body[._-]bytes", log_path_);
}

TEST_F(Lifecycle, UnknownLogLevelStopsStartUpWithExitCode2) {
  expect_bad_setting_refused("LOG_LEVEL", "loud", "log[._-]level", log_path_);
}

}  // namespace
}  // namespace e2e
