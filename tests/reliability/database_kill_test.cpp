// PostgreSQL killed with SIGKILL (the postmaster and every backend, as a crash or
// the OOM killer would) under a steady write load on the real user-service, then
// restarted on the same port. Requests during the outage get a quick 503, never a
// hang or a 500; readiness turns 503; the service serves again without a restart
// soon after the database is back; every write acknowledged with 201 is in the
// database afterwards. Kept in the last source file: it runs last.
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <thread>

#include <pqxx/pqxx>

#include "e2e/orders_fixture.hpp"  // poll_until
#include "reliability/cluster_control.hpp"
#include "reliability/reliability_fixture.hpp"
#include "support/pg_env.hpp"

namespace reliability {
namespace {

using clock_type = std::chrono::steady_clock;
using e2e::describe;

// State letter of /proc/<pid>/stat and the parent pid; nullopt when gone.
std::optional<std::pair<char, int>> proc_stat(int pid) {
  std::ifstream in{"/proc/" + std::to_string(pid) + "/stat"};
  std::string text;
  if (!std::getline(in, text))
    return std::nullopt;
  const auto close = text.rfind(')');  // the command name may hold spaces
  if (close == std::string::npos || close + 4 >= text.size())
    return std::nullopt;
  char state = text[close + 2];
  int ppid = std::atoi(text.c_str() + close + 4);
  return std::pair{state, ppid};
}

// A zombie still counts: until it is reaped (here pid 1 takes a second or two),
// kill(pid, 0) succeeds, so pg_ctl status would take the dead postmaster for a
// running one and local-postgres.sh start would wait for it instead of starting.
bool gone(int pid) {
  return !proc_stat(pid).has_value();
}

// SIGKILLs the postmaster, then its children (collected first: once orphaned they
// could not be told from others); the pids killed.
std::vector<int> sigkill_cluster() {
  const int postmaster = postmaster_pid();
  if (postmaster <= 0)
    return {};
  std::vector<int> victims{postmaster};
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const auto name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos)
      continue;
    const int pid = std::stoi(name);
    if (const auto s = proc_stat(pid); s && s->second == postmaster)
      victims.push_back(pid);
  }
  for (int pid : victims)
    ::kill(pid, SIGKILL);
  return victims;
}

struct write_outcome {
  std::string email;
  unsigned status = 0;
  long long id = 0;
  std::string code;  // error.code of an error reply
  clock_type::time_point sent, done;
  std::string error;
};

TEST(DatabaseKill, SigkillUnderWriteLoadFailsFastAndLosesNoAcknowledgedWrite) {
  const std::string db = "rel_database_kill";
  const auto url = svc_test::fresh_database(db);
  {
    // The test cluster runs with synchronous_commit=off for speed; with it, a
    // commit could be acknowledged before its WAL leaves PostgreSQL's memory, and
    // a SIGKILL would lose it whatever the service does. Production keeps it on.
    pqxx::connection admin{svc_test::database_url("postgres")};
    pqxx::nontransaction{admin}.exec("ALTER DATABASE " + db + " SET synchronous_commit = on");
  }
  const auto port = svc_test::free_port();
  e2e::service_process service{{.executable = e2e::user_service_binary,
                                .args = {},
                                .env = e2e::instance_env(port, url),
                                .log_name = db}};
  service.wait_ready(port);
  const auto pid = service.pid();
  cluster_guard guard{svc_test::pg_port()};

  const auto t = unique_tag();
  std::mutex mutex;
  std::vector<write_outcome> outcomes;
  load_threads writers;  // declared after what the threads use: joined first
  auto& stop = writers.stop;
  for (int w = 0; w < 4; ++w)
    writers.threads.emplace_back([&, w] {
      svc_test::http_client c{port, std::chrono::seconds{10}};
      for (int i = 0; !stop; ++i) {
        write_outcome o;
        o.email = "kill." + t + ".w" + std::to_string(w) + "." + std::to_string(i) + "@example.com";
        o.sent = clock_type::now();
        try {
          const auto r = c.post("/api/v1/users", {{"name", "Writer " + t}, {"email", o.email}});
          o.status = r.status;
          const auto j = json::parse(r.body, nullptr, false);
          if (r.status == 201)
            o.id = j["data"].value("id", 0LL);
          else if (j.is_object() && j.contains("error"))
            o.code = j["error"].value("code", "");
        } catch (const std::exception& e) {
          o.error = e.what();
        }
        o.done = clock_type::now();
        {
          std::lock_guard lock{mutex};
          outcomes.push_back(std::move(o));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds{10});  // steady, not a flood
      }
    });
  auto count = [&](unsigned status, clock_type::time_point since) {
    std::lock_guard lock{mutex};
    return std::count_if(outcomes.begin(), outcomes.end(), [&](const write_outcome& o) {
      return o.status == status && o.done > since;
    });
  };
  svc_test::http_client probe{port, std::chrono::seconds{10}};
  std::string probe_error;  // the last transport error, for the failure message
  auto status_of = [&](const std::string& target) -> unsigned {
    try {
      return probe.get(target).status;
    } catch (const std::exception& e) {
      probe_error = e.what();
      return 0;  // a transport error: not the status polled for
    }
  };
  const auto began = clock_type::now();
  EXPECT_TRUE(
    svc_test::poll_until([&] { return count(201, began) >= 50; }, std::chrono::seconds{15}, 10ms));

  const auto killed = clock_type::now();
  const auto victims = sigkill_cluster();
  ASSERT_FALSE(victims.empty()) << "no postmaster.pid in " << svc_test::pg_dir();
  EXPECT_TRUE(svc_test::poll_until([&] { return status_of("/health/ready") == 503; },
                                   std::chrono::seconds{5}, 20ms))
    << "readiness did not turn 503";
  const auto ready_down_ms = ms_since(killed);
  EXPECT_TRUE(
    svc_test::poll_until([&] { return count(503, killed) >= 1; }, std::chrono::seconds{5}, 10ms));
  const auto first_503_ms = ms_since(killed);
  EXPECT_EQ(status_of("/health/live"), 200u)
    << "liveness does not depend on the database: " << probe_error;
  ASSERT_TRUE(
    svc_test::poll_until([&] { return std::all_of(victims.begin(), victims.end(), gone); },
                         std::chrono::seconds{15}, 10ms))
    << "PostgreSQL processes survived SIGKILL (or were never reaped)";
  std::cerr << "reliability: SIGKILLed the postmaster and " << victims.size() - 1
            << " other processes; all reaped after " << ms_since(killed) << " ms\n";
  // Keep it down a while under load: every request meanwhile must fail fast.
  svc_test::poll_until([&] { return ms_since(killed) >= 1500; }, std::chrono::seconds{3}, 50ms);

  const auto restarting = clock_type::now();
  std::atomic<int> start_status{-1};
  std::thread starter{[&] { start_status = start_cluster(svc_test::pg_port()); }};
  const bool back = svc_test::poll_until([&] { return database_answers(url); },
                                         std::chrono::seconds{60}, 20ms);
  const auto db_back = clock_type::now();
  starter.join();
  ASSERT_TRUE(back) << "PostgreSQL did not come back";
  ASSERT_EQ(start_status.load(), 0) << "local-postgres.sh start failed after the SIGKILL";
  EXPECT_TRUE(
    svc_test::poll_until([&] { return count(201, db_back) >= 1; }, std::chrono::seconds{10}, 10ms));
  const auto serving_ms = ms_since(db_back);
  EXPECT_TRUE(svc_test::poll_until([&] { return status_of("/health/ready") == 200; },
                                   std::chrono::seconds{10}, 20ms));
  const auto ready_up_ms = ms_since(db_back);
  EXPECT_TRUE(svc_test::poll_until([&] { return count(201, db_back) >= 50; },
                                   std::chrono::seconds{15}, 10ms));
  writers.join();

  EXPECT_LE(serving_ms, 5000) << "not serving again within 5 s of the database's return";
  EXPECT_TRUE(service.running());
  EXPECT_EQ(service.pid(), pid) << "recovered without a restart";

  std::map<std::string, long long> acknowledged;
  long long slowest_outage_ms = 0, unavailable = 0;
  for (const auto& o : outcomes) {
    EXPECT_TRUE(o.error.empty()) << o.email << ": transport error (hang or reset): " << o.error;
    EXPECT_TRUE(o.status == 201 || (o.status == 503 && o.code == "SERVICE_UNAVAILABLE"))
      << o.email << ": status " << o.status << " " << o.code;
    if (o.status == 201)
      acknowledged[o.email] = o.id;
    if (o.status == 503)
      ++unavailable;
    if (o.done > killed && o.sent < db_back)
      slowest_outage_ms = std::max<long long>(
        slowest_outage_ms,
        std::chrono::duration_cast<std::chrono::milliseconds>(o.done - o.sent).count());
  }
  EXPECT_LE(slowest_outage_ms, 3000) << "a request during the outage waited too long for its 503";

  pqxx::connection conn{url};
  pqxx::work tx{conn};
  std::map<std::string, long long> stored;
  for (const auto& row :
       tx.exec_params("SELECT email, id FROM users WHERE email LIKE $1", "kill." + t + ".%"))
    stored[row[0].as<std::string>()] = row[1].as<long long>();
  std::size_t lost = 0;
  for (const auto& [email, id] : acknowledged) {
    const auto it = stored.find(email);
    if (it == stored.end() || it->second != id) {
      ++lost;
      ADD_FAILURE() << "acknowledged write lost: " << email << " (id " << id << ")";
    }
  }
  std::cerr << "reliability: PostgreSQL SIGKILLed under " << outcomes.size()
            << " writes: readiness 503 after " << ready_down_ms << " ms, first 503 after "
            << first_503_ms << " ms, " << unavailable << " answered 503 (slowest during the outage "
            << slowest_outage_ms << " ms); restart and recovery took "
            << std::chrono::duration_cast<std::chrono::milliseconds>(db_back - restarting).count()
            << " ms; serving again " << serving_ms << " ms and ready " << ready_up_ms
            << " ms after the database was back; " << acknowledged.size() << " acknowledged, "
            << stored.size() << " rows found, " << lost << " lost\n";
  EXPECT_EQ(service.terminate(), std::optional<int>{0});
}

}  // namespace
}  // namespace reliability
