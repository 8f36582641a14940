// Named SQL statements: each repository lists its own, and every pooled
// connection prepares them once when it connects.
#pragma once

#include <string>
#include <vector>

namespace svc {

struct named_statement {
  std::string name;
  std::string sql;
};

using statement_list = std::vector<named_statement>;

// The time stamp format of the contract (RFC 3339, UTC), rendered by PostgreSQL.
#define SVC_RFC3339(column) \
  "to_char(" column " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

}  // namespace svc
