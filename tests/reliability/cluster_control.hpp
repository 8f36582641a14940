// Stopping and starting the throwaway PostgreSQL cluster under a running service
// (database_restart_test.cpp, database_kill_test.cpp).
#pragma once

#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>

#include <pqxx/pqxx>

#include "support/pg_env.hpp"

namespace reliability {

// The postmaster's pid from its pid file; 0 when there is none.
inline int postmaster_pid() {
  std::ifstream pidfile{svc_test::pg_dir() + "/data/postmaster.pid"};
  int pid = 0;
  pidfile >> pid;
  return pid;
}

// Starts the cluster on `port` (stale postmaster.pid and crash recovery are
// PostgreSQL's own business); the script's exit status.
inline int start_cluster(int port) {
  const auto cmd = "bash " +
                   svc_test::detail::shell_quote(svc_test::detail::pg_env_value("PG_SCRIPT")) +
                   " start " + svc_test::detail::shell_quote(svc_test::pg_dir()) + " " +
                   std::to_string(port) + " >/dev/null 2>&1";
  const int raw = std::system(cmd.c_str());
  return raw != -1 && WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
}

// Starts the cluster again if a failed test left it down.
struct cluster_guard {
  int port = svc_test::pg_port();
  ~cluster_guard() {
    if (svc_test::pg_ctl("status") != 0 && start_cluster(port) != 0)
      std::cerr << "reliability: could not restart the test cluster\n";
  }
};

inline bool database_answers(const std::string& url) {
  try {
    pqxx::connection c{url};
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace reliability
