// service_process.hpp: runs a REAL service executable for end-to-end tests.
//
// The child is started with fork + execve: the test's environment plus overrides,
// stdout and stderr appended to a log file (kept for post-mortem), working
// directory a fresh temp dir (so no stray caf-application.ini or .env is read), and
// PR_SET_PDEATHSIG so it cannot outlive a crashed test binary.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace e2e {

// Directory for the services' log files (under the build tree).
std::string log_directory();

// The last `lines` lines of a text file ("" when it cannot be read).
std::string file_tail(const std::string& path, std::size_t lines = 60);

class service_process {
public:
  struct options {
    std::string executable;
    std::vector<std::string> args;           // argv[1..]
    std::map<std::string, std::string> env;  // overrides of the inherited environment
    std::string log_name = "service";        // log file: <log_directory()>/<log_name>.log
  };

  // Starts the process; throws std::runtime_error when fork or the temp dir fails.
  // (An execve failure shows as exit status 127 plus a line in the log.)
  explicit service_process(options opts);
  ~service_process();  // SIGKILL if still running, reap, remove the temp dir

  service_process(const service_process&) = delete;
  service_process& operator=(const service_process&) = delete;

  pid_t pid() const { return pid_; }
  const std::string& log_path() const { return log_path_; }
  std::string log_tail(std::size_t lines = 60) const { return file_tail(log_path_, lines); }
  std::string log_text() const;

  // True while the child has not exited (reaps it when it has).
  bool running();

  // Polls GET /health/live on 127.0.0.1:port until 200. Throws std::runtime_error
  // with the log tail when the process exits first or `timeout` passes.
  void wait_ready(std::uint16_t port, std::chrono::milliseconds timeout = std::chrono::seconds{15});

  // Waits for exit; the exit code (128 + signal when killed by one), or nullopt on
  // timeout.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);

  // SIGTERM, then waits up to `timeout`: the exit code as for wait_exit(). On
  // timeout the process is SIGKILLed and nullopt is returned.
  std::optional<int> terminate(std::chrono::milliseconds timeout = std::chrono::seconds{45});

  // SIGKILL and reap.
  void kill();

private:
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
  std::string log_path_;
  std::string work_dir_;
};

}  // namespace e2e
