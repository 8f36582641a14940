// Versioned schema migrations, applied at start-up and recorded in a table.
#pragma once

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

// Applies every migration newer than the recorded version, each in its own
// transaction, under an advisory lock so that replicas starting together do not
// race. Returns how many were applied. Throws on failure (start-up then stops).
int apply_migrations(pqxx::connection_base& conn, const std::vector<migration>& migrations);

}  // namespace svc
