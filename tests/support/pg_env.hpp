// support/pg_env.hpp: how a test reaches the throwaway PostgreSQL cluster.
//
// The ctest fixture `postgres` (tests/postgres_fixture.cmake) starts the cluster with
// deploy/local-postgres.sh, which writes KEY=VALUE lines to <dir>/env:
//   PGPORT, DATABASE_BASE_URL (postgresql://postgres@127.0.0.1:PORT), PG_SCRIPT, ...
// Tests declared with svc_test(... DATABASE) get the path of that file in the
// environment variable SVC_TEST_PG_ENV_FILE. The file is read on every call, so a
// restart through pg_ctl() is picked up.
//
// Outside ctest:  deploy/local-postgres.sh start /tmp/pg &&
//                 SVC_TEST_PG_ENV_FILE=/tmp/pg/env build/tests/actor_tests
#pragma once

#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>
#include <sys/wait.h>

namespace svc_test {

namespace detail {

inline std::string pg_env_file() {
  const char* path = std::getenv("SVC_TEST_PG_ENV_FILE");
  if (path == nullptr || *path == '\0')
    throw std::runtime_error(
      "SVC_TEST_PG_ENV_FILE is not set: run this test through ctest (fixture 'postgres'), "
      "or run 'deploy/local-postgres.sh start DIR' and export SVC_TEST_PG_ENV_FILE=DIR/env");
  return path;
}

// Value of KEY in the env file; throws when the file or the key is missing.
inline std::string pg_env_value(const std::string& key) {
  const auto path = pg_env_file();
  std::ifstream in{path};
  if (!in)
    throw std::runtime_error("cannot read " + path +
                             " (SVC_TEST_PG_ENV_FILE): was the test PostgreSQL started? "
                             "(deploy/local-postgres.sh start DIR)");
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r')
      line.pop_back();
    auto eq = line.find('=');
    if (eq != std::string::npos && line.compare(0, eq, key) == 0 && eq == key.size())
      return line.substr(eq + 1);
  }
  throw std::runtime_error("no " + key + "= line in " + path);
}

inline std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

}  // namespace detail

// postgresql://postgres@127.0.0.1:PORT/<db>
inline std::string database_url(const std::string& db) {
  return detail::pg_env_value("DATABASE_BASE_URL") + "/" + db;
}

// Drops (WITH FORCE) and creates database `name` through database_url("postgres");
// returns the URL of the new, empty database (test_util.cpp).
std::string fresh_database(const std::string& name);

inline int pg_port() {
  const auto value = detail::pg_env_value("PGPORT");
  try {
    return std::stoi(value);
  } catch (const std::exception&) {
    throw std::runtime_error("bad PGPORT '" + value + "' in " + detail::pg_env_file());
  }
}

// The cluster directory: where the env file lives.
inline std::string pg_dir() {
  const auto path = detail::pg_env_file();
  const auto slash = path.find_last_of('/');
  if (slash == std::string::npos)
    return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// Runs `deploy/local-postgres.sh <action> <pg_dir()>` (start, stop, status), e.g. to
// simulate a database outage. Returns the script's exit status; throws when start
// or stop fails (status answers 3 when the server is stopped, which is no error).
inline int pg_ctl(const std::string& action) {
  const auto script = detail::pg_env_value("PG_SCRIPT");
  const auto cmd = "bash " + detail::shell_quote(script) + " " + detail::shell_quote(action) + " " +
                   detail::shell_quote(pg_dir()) + " >/dev/null";
  const int raw = std::system(cmd.c_str());
  const int status = (raw != -1 && WIFEXITED(raw)) ? WEXITSTATUS(raw) : -1;
  if (status != 0 && action != "status")
    throw std::runtime_error("'" + cmd + "' failed with status " + std::to_string(status));
  return status;
}

}  // namespace svc_test
