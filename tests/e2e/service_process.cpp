#include "e2e/service_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "support/http_client.hpp"

extern char** environ;

namespace e2e {

namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

int decode_status(int raw) {
  if (WIFEXITED(raw))
    return WEXITSTATUS(raw);
  if (WIFSIGNALED(raw))
    return 128 + WTERMSIG(raw);
  return -1;
}

std::runtime_error system_error(const std::string& what) {
  return std::runtime_error(what + ": " + std::strerror(errno));
}

}  // namespace

std::string log_directory() {
#ifdef E2E_LOG_DIR
  std::string dir = E2E_LOG_DIR;
#else
  std::string dir = "/tmp/e2e-logs";
#endif
  std::filesystem::create_directories(dir);
  return dir;
}

std::string file_tail(const std::string& path, std::size_t lines) {
  std::ifstream in{path};
  std::deque<std::string> last;
  std::string line;
  while (std::getline(in, line)) {
    last.push_back(std::move(line));
    if (last.size() > lines)
      last.pop_front();
  }
  std::string out;
  for (const auto& l : last)
    out += l + "\n";
  return out;
}

service_process::service_process(options opts) {
  // Everything the child needs is prepared before fork(): only async-signal-safe
  // calls happen between fork() and execve().
  std::map<std::string, std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string entry = *e;
    const auto eq = entry.find('=');
    if (eq != std::string::npos)
      env[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  for (const auto& [key, value] : opts.env)
    env[key] = value;
  std::vector<std::string> env_strings;
  for (const auto& [key, value] : env)
    env_strings.push_back(key + "=" + value);
  std::vector<char*> envp;
  for (auto& s : env_strings)
    envp.push_back(s.data());
  envp.push_back(nullptr);

  std::vector<std::string> arg_strings{opts.executable};
  arg_strings.insert(arg_strings.end(), opts.args.begin(), opts.args.end());
  std::vector<char*> argv;
  for (auto& s : arg_strings)
    argv.push_back(s.data());
  argv.push_back(nullptr);

  std::string dir_template = (std::filesystem::temp_directory_path() / "e2e-svc-XXXXXX").string();
  if (::mkdtemp(dir_template.data()) == nullptr)
    throw system_error("mkdtemp " + dir_template);
  work_dir_ = dir_template;

  log_path_ = log_directory() + "/" + opts.log_name + ".log";
  const int log_fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (log_fd < 0)
    throw system_error("open " + log_path_);
  const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null_fd < 0) {
    ::close(log_fd);
    throw system_error("open /dev/null");
  }
  {
    std::ostringstream header;
    header << "### e2e: starting " << opts.executable << " in " << work_dir_ << " with";
    for (const auto& [key, value] : opts.env)
      header << ' ' << key << '=' << value;
    header << '\n';
    const auto text = header.str();
    [[maybe_unused]] auto n = ::write(log_fd, text.data(), text.size());
  }

  const pid_t parent = ::getpid();
  const pid_t child = ::fork();
  if (child < 0) {
    ::close(log_fd);
    ::close(null_fd);
    throw system_error("fork");
  }
  if (child == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent)
      ::_exit(126);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::signal(SIGPIPE, SIG_DFL);
    ::dup2(null_fd, STDIN_FILENO);
    ::dup2(log_fd, STDOUT_FILENO);
    ::dup2(log_fd, STDERR_FILENO);
    ::close_range(3, ~0U, 0);  // sockets and pg connections of the test stay ours
    if (::chdir(work_dir_.c_str()) != 0) {
      static const char msg[] = "### e2e: chdir to the temp dir failed\n";
      [[maybe_unused]] auto n = ::write(STDERR_FILENO, msg, sizeof msg - 1);
      ::_exit(127);
    }
    ::execve(argv[0], argv.data(), envp.data());
    static const char msg[] = "### e2e: execve failed (missing executable?)\n";
    [[maybe_unused]] auto n = ::write(STDERR_FILENO, msg, sizeof msg - 1);
    ::_exit(127);
  }
  pid_ = child;
  ::close(log_fd);
  ::close(null_fd);
}

service_process::~service_process() {
  if (running())
    kill();
  std::error_code ignored;
  std::filesystem::remove_all(work_dir_, ignored);
}

std::string service_process::log_text() const {
  std::ifstream in{log_path_};
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

bool service_process::running() {
  if (exit_code_ || pid_ <= 0)
    return false;
  int raw = 0;
  const pid_t r = ::waitpid(pid_, &raw, WNOHANG);
  if (r == pid_) {
    exit_code_ = decode_status(raw);
    return false;
  }
  return r == 0;
}

std::optional<int> service_process::wait_exit(std::chrono::milliseconds timeout) {
  const auto deadline = clock_type::now() + timeout;
  while (running()) {
    if (clock_type::now() >= deadline)
      return std::nullopt;
    std::this_thread::sleep_for(20ms);
  }
  return exit_code_;
}

std::optional<int> service_process::terminate(std::chrono::milliseconds timeout) {
  if (running())
    ::kill(pid_, SIGTERM);
  auto code = wait_exit(timeout);
  if (!code)
    kill();
  return code;
}

void service_process::kill() {
  if (!running())
    return;
  ::kill(pid_, SIGKILL);
  int raw = 0;
  if (::waitpid(pid_, &raw, 0) == pid_)
    exit_code_ = decode_status(raw);
}

void service_process::wait_ready(std::uint16_t port, std::chrono::milliseconds timeout) {
  const auto deadline = clock_type::now() + timeout;
  std::string last = "no answer yet";
  while (clock_type::now() < deadline) {
    if (!running())
      throw std::runtime_error("service exited with status " +
                               std::to_string(exit_code_.value_or(-1)) +
                               " before it was ready; log " + log_path_ + ":\n" + log_tail());
    try {
      svc_test::http_client client{port, std::chrono::seconds{2}};
      const auto r = client.request("GET", "/health/live");
      if (r.status == 200)
        return;
      last = "GET /health/live answered " + std::to_string(r.status);
    } catch (const std::exception& e) {
      last = e.what();
    }
    std::this_thread::sleep_for(100ms);
  }
  throw std::runtime_error("service not ready within " + std::to_string(timeout.count()) + " ms (" +
                           last + "); log " + log_path_ + ":\n" + log_tail());
}

}  // namespace e2e
