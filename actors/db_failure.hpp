// A database failure, in one place: what kinds there are, how libpqxx's
// exceptions map to them, how they travel between actors (a caf::error of
// category "database") and what each one means to an HTTP client.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include <caf/error.hpp>

#include "http/message.hpp"

namespace svc {

enum class db_failure : std::uint8_t {
  unavailable = 1,  // connection refused or lost: 503, retry later
  timeout,          // statement or pool wait timed out: 503
  conflict,         // unique or serialization conflict: 409
  failed,           // anything else: 500, details only in the log
};

// Classifies the exception currently being handled (call inside a catch block).
db_failure classify_current_exception() noexcept;

// Classifies PostgreSQL's error code (SQLSTATE) of a failed statement.
db_failure classify_sqlstate(std::string_view sqlstate) noexcept;

// Whether the exception being handled is PostgreSQL's answer to a named
// statement that the server connection does not have (SQLSTATE 26000) or
// already has from another client (42P05): what a transaction-mode pooler does
// to prepared statements. Call inside a catch block.
bool named_statement_lost() noexcept;

// Lets `caf::error e = db_failure::unavailable;` work (found by ADL).
caf::error make_error(db_failure failure);

// The db_failure carried by an error, if it is one.
std::optional<db_failure> db_failure_of(const caf::error& err);

// The response for a failed database task: 503 while the database is unreachable
// or saturated (also for a pool that never answered), 409 on a conflict, 500
// (logged, never detailed) otherwise.
http::response database_error_response(const caf::error& err, std::string_view request_id,
                                       std::string_view conflict_message);

}  // namespace svc
