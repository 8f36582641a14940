// Database outage: the test cluster is stopped under a running user-service and
// started again. Kept in the last source file so that it runs last; the cluster is
// restarted whatever happens.
#include <csignal>
#include <fstream>
#include <thread>

#include "e2e/e2e_fixture.hpp"
#include "support/pg_env.hpp"

namespace e2e {
namespace {

using namespace std::chrono_literals;

class DatabaseOutage : public user_service_suite {};

// Starts the cluster again if the test left it stopped.
struct cluster_guard {
  bool stopped = false;
  ~cluster_guard() {
    if (stopped) {
      try {
        svc_test::pg_ctl("start");
      } catch (const std::exception& e) {
        std::cerr << "e2e: could not restart the test cluster: " << e.what() << "\n";
      }
    }
  }
};

TEST_F(DatabaseOutage, ApiAnswers503AndRecoversWithoutRestart) {
  const auto t = tag();
  auto body = user_body("survivor", t);
  body["age"] = 64;
  const auto before = create_user(body);
  ASSERT_TRUE(before.contains("id"));
  const auto item = "/api/v1/users/" + std::to_string(before["id"].get<long long>());
  const auto pid = service().pid();

  cluster_guard guard;
  ASSERT_NO_THROW(svc_test::pg_ctl("stop"));
  guard.stopped = true;

  for (int round = 0; round < 2; ++round) {
    SCOPED_TRACE("round " + std::to_string(round + 1) + " with the database down");
    EXPECT_TRUE(is_error(client().get(item), 503, "SERVICE_UNAVAILABLE"));
    EXPECT_TRUE(is_error(client().get("/api/v1/users?search=" + t), 503, "SERVICE_UNAVAILABLE"));
    EXPECT_TRUE(
      is_error(client().post("/api/v1/users", user_body("during" + std::to_string(round), t)), 503,
               "SERVICE_UNAVAILABLE"));
    EXPECT_TRUE(is_error(client().put(item, {{"age", 65}}), 503, "SERVICE_UNAVAILABLE"));
    EXPECT_TRUE(is_error(client().del(item), 503, "SERVICE_UNAVAILABLE"));

    auto health = client().get("/health");
    EXPECT_EQ(health.status, 503u) << describe(health);
    if (is_json_body(health)) {
      const auto j = health.json();
      EXPECT_EQ(j.value("status", ""), "unavailable") << health.body;
      EXPECT_TRUE(j.contains("checks") && j["checks"].contains("database") &&
                  j["checks"]["database"] != "ok")
        << "the failing check is named: " << health.body;
    } else {
      ADD_FAILURE() << "/health body is not JSON: " << describe(health);
    }
    const auto ready = client().get("/health/ready");
    EXPECT_EQ(ready.status, 503u) << describe(ready);
    const auto live = client().get("/health/live");
    EXPECT_EQ(live.status, 200u) << "liveness does not depend on the database: " << describe(live);
  }

  ASSERT_NO_THROW(svc_test::pg_ctl("start"));
  guard.stopped = false;

  // Bounded wait for the service to reconnect on its own.
  const auto deadline = std::chrono::steady_clock::now() + 15s;
  reply last;
  int polls = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    ++polls;
    try {
      last = client().get(item);
      if (last.status == 200)
        break;
    } catch (const std::exception& e) {
      last = reply{};
      last.body = std::string{"transport error: "} + e.what();
    }
    std::this_thread::sleep_for(200ms);
  }
  ASSERT_EQ(last.status, 200u) << "no recovery within 15 s (" << polls
                               << " polls); last: " << describe(last);
  EXPECT_EQ(last.json()["data"], before) << "the user from before the outage is intact";

  EXPECT_EQ(client().get("/health").status, 200u);
  EXPECT_EQ(client().get("/health/ready").status, 200u);
  const auto after = client().post("/api/v1/users", user_body("after", t));
  EXPECT_EQ(after.status, 201u) << describe(after);
  const auto list = client().get("/api/v1/users?search=" + t);
  ASSERT_EQ(list.status, 200u) << describe(list);
  EXPECT_EQ(list.json()["meta"]["total"], 2) << "nothing written during the outage: " << list.body;
  EXPECT_TRUE(service().running());
  EXPECT_EQ(service().pid(), pid) << "recovered without a restart";
}

// A database host that hangs (SIGSTOP on the postmaster and every backend): the
// kernel still holds the connections open and accepts new ones, and nothing
// answers. Readiness must say so within a probe's timeout (deploy/k8s: 2 s), not
// after the statement timeout and the stuck-connection guard (15 s together).
TEST_F(DatabaseOutage, ReadinessAnswers503WithinAProbesTimeoutWhileTheDatabaseHangs) {
  ASSERT_EQ(client().get("/api/v1/users").status, 200u) << "the pool's connections are open";
  ASSERT_EQ(client().get("/health/ready").status, 200u);
  std::ifstream pid_file{svc_test::pg_dir() + "/data/postmaster.pid"};
  long postmaster = 0;
  ASSERT_TRUE(pid_file >> postmaster) << "no postmaster.pid";
  const auto signal_cluster = [postmaster](const char* signal) {
    const auto pid = std::to_string(postmaster);
    return std::system(
      ("pkill -" + std::string{signal} + " -P " + pid + "; kill -" + signal + " " + pid).c_str());
  };
  struct thaw_on_exit {
    std::function<int(const char*)> signal;
    ~thaw_on_exit() { signal("CONT"); }
  } thaw{signal_cluster};
  ASSERT_EQ(signal_cluster("STOP"), 0);

  http_client probe{port(), std::chrono::seconds{20}};
  for (const char* path : {"/health/ready", "/health"}) {
    const auto asked = std::chrono::steady_clock::now();
    const auto r = probe.get(path);
    const auto waited = std::chrono::steady_clock::now() - asked;
    EXPECT_EQ(r.status, 503u) << path << ": " << describe(r);
    if (is_json_body(r)) {
      EXPECT_EQ(r.json().value("checks", json::object()).value("database", ""), "unavailable")
        << r.body;
    }
    EXPECT_LT(waited, 2s) << path << " took "
                          << std::chrono::duration_cast<std::chrono::milliseconds>(waited).count()
                          << " ms";
  }
  EXPECT_EQ(probe.get("/health/live").status, 200u);

  signal_cluster("CONT");
  EXPECT_TRUE(poll_until([&] { return probe.get("/health/ready").status == 200; }, 15s))
    << "readiness back once the database answers";
}

}  // namespace
}  // namespace e2e
