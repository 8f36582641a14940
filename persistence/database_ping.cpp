#include "persistence/database_ping.hpp"

#include <pqxx/pqxx>

namespace svc {

void ping_database(pqxx::connection_base& conn) {
  pqxx::nontransaction tx{conn};
  tx.exec("SELECT 1");
}

}  // namespace svc
