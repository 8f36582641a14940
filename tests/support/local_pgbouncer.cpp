#include "support/local_pgbouncer.hpp"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "support/pg_env.hpp"
#include "support/test_util.hpp"

namespace svc_test {

local_pgbouncer::local_pgbouncer(int server_connections, const std::string& name)
    : dir_(pg_dir() + "-pgbouncer-" + name) {
  auto script = detail::pg_env_value("PG_SCRIPT");
  script_ = script.substr(0, script.find_last_of('/') + 1) + "local-pgbouncer.sh";
  const auto cmd = "bash " + detail::shell_quote(script_) + " start " + detail::shell_quote(dir_) +
                   " " + std::to_string(pg_port()) + " " + std::to_string(free_port()) + " " +
                   std::to_string(server_connections) + " >/dev/null";
  if (std::system(cmd.c_str()) != 0)
    throw std::runtime_error("'" + cmd + "' failed (is pgbouncer installed? make deps); see " +
                             dir_ + "/pgbouncer.log");
  std::ifstream env{dir_ + "/env"};
  for (std::string line; std::getline(env, line);)
    if (line.rfind("PGBOUNCER_BASE_URL=", 0) == 0)
      base_url_ = line.substr(line.find('=') + 1);
  if (base_url_.empty())
    throw std::runtime_error("no PGBOUNCER_BASE_URL in " + dir_ + "/env");
}

local_pgbouncer::~local_pgbouncer() {
  const auto cmd = "bash " + detail::shell_quote(script_) + " stop " + detail::shell_quote(dir_) +
                   " >/dev/null 2>&1";
  [[maybe_unused]] int status = std::system(cmd.c_str());
}

local_pgbouncer::pool_view local_pgbouncer::pool(const std::string& db) const {
  const auto cmd = "psql -X -q -A -F ' ' -c 'SHOW POOLS' " + detail::shell_quote(url("pgbouncer"));
  std::unique_ptr<FILE, int (*)(FILE*)> out{::popen(cmd.c_str(), "r"), ::pclose};
  if (!out)
    throw std::runtime_error("cannot run " + cmd);
  pool_view view;
  std::vector<std::string> columns;  // from the header line: they vary between versions
  char buf[1024];
  while (std::fgets(buf, sizeof buf, out.get())) {
    std::istringstream line{buf};
    std::vector<std::string> fields{std::istream_iterator<std::string>{line}, {}};
    if (columns.empty()) {
      columns = fields;
      continue;
    }
    if (fields.size() != columns.size() || fields[0] != db)
      continue;
    for (std::size_t i = 0; i < columns.size(); ++i) {
      if (columns[i] == "cl_active" || columns[i] == "cl_waiting")
        view.clients += std::stoi(fields[i]);
      else if (columns[i] == "sv_active" || columns[i] == "sv_idle" || columns[i] == "sv_used" ||
               columns[i] == "sv_tested" || columns[i] == "sv_login")
        view.servers += std::stoi(fields[i]);
    }
  }
  return view;
}

}  // namespace svc_test
