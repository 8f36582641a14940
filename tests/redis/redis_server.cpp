#include "redis/redis_server.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <hiredis/hiredis.h>

#include "support/test_util.hpp"

namespace svc::testing {
namespace {

std::string reply_text(const redisReply* r) {
  switch (r->type) {
    case REDIS_REPLY_INTEGER: return std::to_string(r->integer);
    case REDIS_REPLY_NIL: return "(nil)";
    case REDIS_REPLY_ARRAY: {
      std::string out;
      for (std::size_t i = 0; i < r->elements; ++i) {
        if (i)
          out += ' ';
        out += reply_text(r->element[i]);
      }
      return out;
    }
    default: return std::string(r->str, r->len);
  }
}

std::string file_text(const std::string& path) {
  std::ifstream in{path};
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

redis_server::redis_server(std::uint16_t port) : port_(port ? port : svc_test::free_port()) {
  char tmpl[] = "/tmp/svc-redis-XXXXXX";
  if (!::mkdtemp(tmpl))
    throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
  start();
}

redis_server::~redis_server() {
  kill();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

void redis_server::start() {
  const auto log = dir_ + "/redis.log";
  const auto port = std::to_string(port_);
  pid_ = ::fork();
  if (pid_ < 0)
    throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlives a crashed test
    int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    ::dup2(out, 1);
    ::dup2(out, 2);
    ::execlp("redis-server", "redis-server", "--port", port.c_str(), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--daemonize", "no", "--dir", dir_.c_str(),
             static_cast<char*>(nullptr));
    ::_exit(127);
  }
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds{10};
  while (std::chrono::steady_clock::now() < until) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("redis-server exited at start:\n" + file_text(log));
    }
    try {
      if (command({"PING"}) == "PONG")
        return;
    } catch (const std::exception&) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds{20});
  }
  kill();
  throw std::runtime_error("redis-server did not answer PING:\n" + file_text(log));
}

void redis_server::kill() {
  if (pid_ <= 0)
    return;
  ::kill(pid_, SIGCONT);
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

void redis_server::pause() {
  if (pid_ > 0)
    ::kill(pid_, SIGSTOP);
}

void redis_server::resume() {
  if (pid_ > 0)
    ::kill(pid_, SIGCONT);
}

std::string redis_server::command(const std::vector<std::string>& args) const {
  timeval timeout{1, 0};
  redisContext* c = redisConnectWithTimeout("127.0.0.1", port_, timeout);
  if (!c || c->err) {
    std::string why = c ? c->errstr : "out of memory";
    if (c)
      redisFree(c);
    throw std::runtime_error("cannot connect to redis: " + why);
  }
  redisSetTimeout(c, timeout);
  std::vector<const char*> argv;
  std::vector<std::size_t> lengths;
  for (const auto& a : args) {
    argv.push_back(a.c_str());
    lengths.push_back(a.size());
  }
  auto* reply = static_cast<redisReply*>(
    redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lengths.data()));
  if (!reply) {
    std::string why = c->errstr;
    redisFree(c);
    throw std::runtime_error("redis command failed: " + why);
  }
  auto text = reply_text(reply);
  freeReplyObject(reply);
  redisFree(c);
  return text;
}

}  // namespace svc::testing
