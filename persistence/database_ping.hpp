// The database check of /health and /health/ready: one trivial statement on a
// pooled connection, so that readiness means "a query gets through".
#pragma once

namespace pqxx {
class connection_base;
}

namespace svc {

// Throws what libpqxx throws when the statement cannot run.
void ping_database(pqxx::connection_base& conn);

}  // namespace svc
