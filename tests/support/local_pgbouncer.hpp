// support/local_pgbouncer.hpp: a real PgBouncer (Debian's, transaction pooling)
// on loopback in front of the throwaway PostgreSQL cluster, started with
// deploy/local-pgbouncer.sh and stopped with the object.
#pragma once

#include <string>

namespace svc_test {

class local_pgbouncer {
public:
  // `server_connections`: PgBouncer's pool per database. `name` tells apart the
  // directories of the suites that start one.
  local_pgbouncer(int server_connections, const std::string& name);
  ~local_pgbouncer();
  local_pgbouncer(const local_pgbouncer&) = delete;
  local_pgbouncer& operator=(const local_pgbouncer&) = delete;

  // The URL of database `db` through PgBouncer.
  std::string url(const std::string& db) const { return base_url_ + "/" + db; }

  // PgBouncer's own view of the pool of `db`: SHOW POOLS on its admin console,
  // through psql (libpqxx refuses the console's server version, "1.18.0/bouncer").
  struct pool_view {
    int clients = 0, servers = 0;
  };
  pool_view pool(const std::string& db) const;

private:
  std::string dir_, script_, base_url_;
};

}  // namespace svc_test
