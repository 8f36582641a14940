// Versioned schema migrations, applied at start-up and recorded in a table.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace pqxx {
class connection_base;
}

namespace svc {

struct migration {
  int version;
  std::string name;
  std::string sql;
};

// The database already holds another service's schema (its migration history).
class foreign_schema : public std::runtime_error {
public:
  foreign_schema(const std::string& service, const std::string& other);
};

// Applies every migration of `service` ("user-service") not recorded yet, each in
// its own transaction, under an advisory lock so that replicas starting together
// do not race. Each service keeps its own history (both number from 1). Returns
// how many were applied. Throws foreign_schema when the database holds another
// service's schema, and on any failure (start-up then stops).
int apply_migrations(pqxx::connection_base& conn, const std::string& service,
                     const std::vector<migration>& migrations);

}  // namespace svc
