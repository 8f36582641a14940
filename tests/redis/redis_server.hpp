// A throwaway redis-server for tests: its own process on a free loopback port,
// in a temp directory, nothing saved; stopped (SIGKILL if need be) by the
// destructor. CI starts no Redis: each test that needs one starts it here.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace svc::testing {

class redis_server {
public:
  // port 0: a free one. Starts the server and waits until it answers PING;
  // throws std::runtime_error (with the log's tail) when it does not.
  explicit redis_server(std::uint16_t port = 0);
  ~redis_server();
  redis_server(const redis_server&) = delete;
  redis_server& operator=(const redis_server&) = delete;

  std::uint16_t port() const { return port_; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }

  void start();   // again on the same port, after kill()
  void kill();    // SIGKILL and reap: the crash of the server
  void pause();   // SIGSTOP: a server that hangs, its socket open
  void resume();  // SIGCONT

  // One command over a fresh blocking connection: the reply as text (integers
  // in decimal, arrays space-separated, errors as "ERR ...", nil as "(nil)").
  std::string command(const std::vector<std::string>& args) const;

private:
  std::uint16_t port_;
  std::string dir_;
  pid_t pid_ = -1;
};

}  // namespace svc::testing
