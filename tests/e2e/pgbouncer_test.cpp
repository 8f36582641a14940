// user-service behind a real PgBouncer (Debian's, transaction pooling) on loopback,
// in front of the test cluster (deploy/local-pgbouncer.sh). Few server connections
// for many client ones, as a pooler is run: every transaction may land on another
// server connection. With DB_PREPARED_STATEMENTS=false a burst of concurrent
// writes and reads all succeed; with named statements (the default) PgBouncer
// breaks them, and the service says so in one log line naming the setting.
#include <atomic>
#include <memory>
#include <mutex>
#include <sstream>
#include <thread>

#include <pqxx/pqxx>

#include "e2e/e2e_fixture.hpp"
#include "support/local_pgbouncer.hpp"
#include "support/pg_env.hpp"

namespace e2e {
namespace {

constexpr int server_connections = 3;  // PgBouncer's pool per database
constexpr int client_connections = 8;  // the service's pool (min idle)

struct burst_result {
  int requests = 0;
  std::map<unsigned, int> by_status;
  std::vector<std::string> unexpected;  // the first few, described
};

// `threads` clients at once, each creating users and reading them back: plain
// creates (autocommitted), creates under an Idempotency-Key and updates under
// If-Match (transactions), reads by id and list pages (named statements).
burst_result burst(std::uint16_t port, int threads, int rounds, const std::string& tag) {
  burst_result out;
  std::mutex mutex;
  auto record = [&](const reply& r, unsigned expected, const std::string& what) {
    std::lock_guard lock{mutex};
    ++out.requests;
    ++out.by_status[r.status];
    if (r.status != expected && out.unexpected.size() < 5)
      out.unexpected.push_back(what + ": " + describe(r));
  };
  std::vector<std::thread> clients;
  for (int t = 0; t < threads; ++t)
    clients.emplace_back([&, t] {
      http_client c{port};
      for (int i = 0; i < rounds; ++i) {
        const auto who = tag + "." + std::to_string(t) + "." + std::to_string(i);
        try {
          const json body{{"name", "Pooled " + who}, {"email", who + "@example.com"}};
          auto created = c.post("/api/v1/users", body);
          record(created, 201, "POST");
          auto keyed = c.post("/api/v1/users",
                              {{"name", "Keyed " + who}, {"email", "k." + who + "@example.com"}},
                              {{"Idempotency-Key", "key-" + who}});
          record(keyed, 201, "POST with Idempotency-Key");
          record(c.get("/api/v1/users?status=active&page_size=5"), 200, "GET list");
          if (created.status != 201)
            continue;
          const auto id = std::to_string(created.json()["data"]["id"].get<long long>());
          auto read = c.get("/api/v1/users/" + id);
          record(read, 200, "GET by id");
          record(
            c.put("/api/v1/users/" + id, {{"age", 30 + i}}, {{"If-Match", created.header("etag")}}),
            200, "PUT with If-Match");
        } catch (const std::exception& e) {
          std::lock_guard lock{mutex};
          ++out.requests;
          out.unexpected.push_back(std::string{"transport error: "} + e.what());
        }
      }
    });
  for (auto& c : clients)
    c.join();
  return out;
}

int count(const burst_result& r, unsigned status) {
  auto it = r.by_status.find(status);
  return it == r.by_status.end() ? 0 : it->second;
}

std::string summary(const burst_result& r) {
  std::ostringstream os;
  os << r.requests << " requests:";
  for (const auto& [status, n] : r.by_status)
    os << " " << n << " x " << status;
  for (const auto& u : r.unexpected)
    os << "\n  " << u;
  return os.str();
}

class PgBouncerTransactionMode : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    bouncer_ = std::make_unique<svc_test::local_pgbouncer>(server_connections, "e2e");
  }
  static void TearDownTestSuite() { bouncer_.reset(); }

  // user-service on a fresh database `db`, reached through PgBouncer.
  static running_service start_behind_pgbouncer(const std::string& db,
                                                std::map<std::string, std::string> extra) {
    fresh_database(db);  // directly: CREATE DATABASE is no business of the pooler
    running_service s;
    s.port = free_port();
    auto env = instance_env(s.port, bouncer_->url(db));
    env["DB_POOL_MIN_IDLE"] = std::to_string(client_connections);
    env["DB_POOL_MAX"] = std::to_string(2 * client_connections);
    for (auto& [key, value] : extra)
      env[key] = value;
    s.process = std::make_unique<service_process>(service_process::options{
      .executable = user_service_binary, .args = {}, .env = std::move(env), .log_name = db});
    s.process->wait_ready(s.port);
    return s;
  }

  static inline std::unique_ptr<svc_test::local_pgbouncer> bouncer_;
};

TEST_F(PgBouncerTransactionMode, UnnamedStatementsServeABurstOfConcurrentWritesAndReads) {
  const std::string db = "e2e_pgbouncer_unnamed";
  auto service = start_behind_pgbouncer(db, {{"DB_PREPARED_STATEMENTS", "false"}});
  const auto result = burst(service.port, 2 * client_connections, 6, "unnamed");
  EXPECT_TRUE(result.unexpected.empty()) << summary(result);
  EXPECT_EQ(count(result, 201) + count(result, 200), result.requests) << summary(result);

  // It went through the pooler: the service's connections are PgBouncer's
  // clients, sharing its few server connections.
  const auto view = bouncer_->pool(db);
  EXPECT_GE(view.clients, client_connections);
  EXPECT_LE(view.servers, server_connections);
  std::cerr << "e2e: behind PgBouncer (transaction pooling, " << view.clients << " client and "
            << view.servers
            << " server connections), DB_PREPARED_STATEMENTS=false: " << summary(result) << "\n";
  EXPECT_EQ(service.process->terminate(), std::optional<int>{0});
}

TEST_F(PgBouncerTransactionMode, NamedStatementsFailWithOneLineNamingTheSetting) {
  const std::string db = "e2e_pgbouncer_named";
  auto service = start_behind_pgbouncer(db, {});  // DB_PREPARED_STATEMENTS=true, the default
  // More requests at once than the service has connections: each of them
  // prepares its statements on one of only three server connections.
  const auto result = burst(service.port, 2 * client_connections, 3, "named");
  EXPECT_GT(count(result, 500), 0)
    << "no failure: did the pooler carry named statements? " << summary(result);
  EXPECT_TRUE(service.process->running());
  const auto log = service.process->log_text();
  std::size_t hints = 0;
  for (std::size_t at = log.find("set DB_PREPARED_STATEMENTS=false"); at != std::string::npos;
       at = log.find("set DB_PREPARED_STATEMENTS=false", at + 1))
    ++hints;
  EXPECT_EQ(hints, 1u) << "expected one line naming the setting; log tail:\n"
                       << service.process->log_tail(20);
  std::cerr << "e2e: behind PgBouncer, DB_PREPARED_STATEMENTS=true: " << summary(result) << "\n";
  EXPECT_EQ(service.process->terminate(), std::optional<int>{0});
}

}  // namespace
}  // namespace e2e
