#include "cluster/cluster_fixture.hpp"

#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <sys/wait.h>

#include "e2e/e2e_fixture.hpp"
#include "e2e/service_process.hpp"
#include "support/http_client.hpp"
#include "support/pg_env.hpp"

namespace cluster {
namespace {

using svc_test::detail::shell_quote;

std::string script() {
  return std::string{SOURCE_ROOT} + "/deploy/cluster.sh";
}

// What `command` printed on stdout and stderr; throws with that text when it fails.
std::string run_command(const std::string& command) {
  std::string output;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr)
    throw std::runtime_error("cannot run: " + command);
  std::array<char, 4096> buffer{};
  while (auto n = std::fread(buffer.data(), 1, buffer.size(), pipe))
    output.append(buffer.data(), n);
  const int raw = ::pclose(pipe);
  if (raw == -1 || !WIFEXITED(raw) || WEXITSTATUS(raw) != 0)
    throw std::runtime_error("'" + command + "' failed:\n" + output);
  return output;
}

}  // namespace

local_cluster::local_cluster(const std::string& name, std::map<std::string, std::string> settings)
    : dir_(std::filesystem::temp_directory_path() /
           ("svc-cluster-" + name + "-" + std::to_string(::getpid()))),
      prefix_("cluster_" + name + "_") {
  std::filesystem::remove_all(dir_);
  for (const auto* db : {"users", "orders"})
    e2e::fresh_database(prefix_ + db);
  settings.emplace("LOG_LEVEL", "warn");
  settings["CLUSTER_PG_PORT"] = std::to_string(svc_test::pg_port());
  settings["CLUSTER_DB_PREFIX"] = prefix_;
  settings["BIN_DIR"] = BIN_DIR;
  std::string command = "env";
  for (const auto& [key, value] : settings)
    command += " " + key + "=" + shell_quote(value);
  try {
    run(command + " bash " + shell_quote(script()) + " start " + shell_quote(dir_));
  } catch (const std::exception& e) {
    // What did start is stopped (no replica or PgBouncer outlives the test), and
    // the logs go into the message before their directory goes.
    std::string message = e.what();
    for (const auto* log : {"haproxy", "user-1", "user-2", "order-1", "order-2"})
      message += std::string{"\n--- "} + log + ".log:\n" +
                 e2e::file_tail(dir_ + "/" + log + ".log", 10);
    try {
      run("bash " + shell_quote(script()) + " stop " + shell_quote(dir_));
    } catch (const std::exception& stop_failure) {
      message += std::string{"\nstopping it: "} + stop_failure.what();
    }
    std::filesystem::remove_all(dir_);
    throw std::runtime_error(message);
  }
}

local_cluster::~local_cluster() {
  try {
    run("bash " + shell_quote(script()) + " stop " + shell_quote(dir_));
    std::filesystem::remove_all(dir_);
  } catch (const std::exception& e) {
    ADD_FAILURE() << "stopping the cluster: " << e.what();
  }
}

std::string local_cluster::run(const std::string& command) const {
  return run_command(command);
}

std::string local_cluster::value(const std::string& key) const {
  std::ifstream in{dir_ + "/env"};
  std::string line;
  std::string found;
  while (std::getline(in, line))
    if (line.compare(0, key.size() + 1, key + "=") == 0)
      found = line.substr(key.size() + 1);
  if (found.empty())
    throw std::runtime_error("no " + key + " in " + dir_ + "/env");
  return found;
}

std::uint16_t local_cluster::port(const std::string& key) const {
  return static_cast<std::uint16_t>(std::stoi(value(key)));
}

int local_cluster::replica(const std::string& action, const std::string& replica) const {
  const auto command = "bash " + shell_quote(script()) + " " + action + " " + shell_quote(dir_) +
                       " " + shell_quote(replica) + " >>" + shell_quote(dir_ + "/actions.log") +
                       " 2>&1";
  const int raw = std::system(command.c_str());
  return raw != -1 && WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
}

std::string local_cluster::query(const std::string& database, const std::string& sql) const {
  auto out = run_command("psql " + shell_quote(svc_test::database_url(prefix_ + database)) +
                         " -XAtqc " + shell_quote(sql));
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r'))
    out.pop_back();
  return out;
}

std::string local_cluster::log_tail(const std::string& replica) const {
  return e2e::file_tail(dir_ + "/" + replica + ".log", 20);
}

std::string local_cluster::executable(const std::string& replica) const {
  std::ifstream in{dir_ + "/" + replica + ".pid"};
  std::string pid;
  if (!(in >> pid))
    return "";
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/" + pid + "/exe", ec);
  return ec ? "" : exe.string();
}

void load::record_failure(std::string what) {
  std::lock_guard lock{mutex_};
  failures_.push_back({std::move(what)});
}

void load::record_write(std::string path, std::string unique) {
  std::lock_guard lock{mutex_};
  acknowledged_.emplace_back(std::move(path), std::move(unique));
}

std::vector<load::failure> load::failures() const {
  std::lock_guard lock{mutex_};
  return failures_;
}

std::vector<std::pair<std::string, std::string>> load::acknowledged() const {
  std::lock_guard lock{mutex_};
  return acknowledged_;
}

namespace {

// One request; "" when it succeeded (2xx), else what went wrong.
std::string exchange(e2e::http_client& client, const std::string& method, const std::string& target,
                     const std::string& body, e2e::header_map headers, e2e::reply& reply) {
  try {
    reply = client.request(method, target, body, std::move(headers));
  } catch (const std::exception& e) {
    return method + " " + target + ": " + e.what();
  }
  if (reply.status / 100 != 2)
    return method + " " + target + ": " + e2e::describe(reply);
  return {};
}

}  // namespace

void load::users(std::uint16_t port, int threads) {
  for (int t = 0; t < threads; ++t)
    threads_.emplace_back([this, port] {
      e2e::http_client client{port, std::chrono::seconds{20}};
      while (!stopping_.load()) {
        const auto n = next_.fetch_add(1);
        const auto email = "load-" + std::to_string(n) + "-" + std::to_string(::getpid()) +
                           "@cluster.test";
        const nlohmann::json user{{"name", "Load " + std::to_string(n)}, {"email", email}};
        e2e::reply reply;
        ++requests_;
        auto error = exchange(client, "POST", "/api/v1/users", user.dump(),
                              {{"idempotency-key", "user-" + std::to_string(n)}}, reply);
        if (!error.empty()) {
          record_failure(std::move(error));
          continue;
        }
        const auto path = "/api/v1/users/" +
                          std::to_string(reply.json()["data"]["id"].get<long long>());
        record_write(path, email);
        ++requests_;
        if (error = exchange(client, "GET", path, "", {}, reply); !error.empty())
          record_failure(std::move(error));
      }
    });
}

void load::orders(std::uint16_t port, int threads, long long user_id, bool retry_failed_writes) {
  for (int t = 0; t < threads; ++t)
    threads_.emplace_back([this, port, user_id, retry_failed_writes] {
      e2e::http_client client{port, std::chrono::seconds{20}};
      while (!stopping_.load()) {
        const auto n = next_.fetch_add(1);
        const auto product = "load-" + std::to_string(n);
        const nlohmann::json order{
          {"user_id", user_id}, {"product_name", product}, {"quantity", 2}, {"price", 1.25}};
        e2e::reply reply;
        std::string error;
        for (int attempt = 0; attempt < 100; ++attempt) {
          ++requests_;
          error = exchange(client, "POST", "/api/v1/orders", order.dump(),
                           {{"idempotency-key", "order-" + std::to_string(n)}}, reply);
          if (error.empty())
            break;
          record_failure(error);
          if (!retry_failed_writes)
            break;
          std::this_thread::sleep_for(std::chrono::milliseconds{50});
        }
        if (!error.empty())
          continue;
        const auto path = "/api/v1/orders/" +
                          std::to_string(reply.json()["data"]["id"].get<long long>());
        record_write(path, product);
        ++requests_;
        if (error = exchange(client, "GET", path, "", {}, reply); !error.empty())
          record_failure(std::move(error));
      }
    });
}

void load::stop() {
  stopping_ = true;
  for (auto& t : threads_)
    if (t.joinable())
      t.join();
  threads_.clear();
}

std::string describe(const std::vector<load::failure>& failures) {
  std::ostringstream out;
  out << failures.size() << " failed:";
  for (std::size_t i = 0; i < failures.size() && i < 10; ++i)
    out << "\n  " << failures[i].what;
  return out.str();
}

}  // namespace cluster
