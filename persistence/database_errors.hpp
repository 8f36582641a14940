// What a database failure means to a client, independent of libpqxx's types.
#pragma once

#include <cstdint>
#include <exception>

namespace svc {

enum class db_failure : std::uint8_t {
  unavailable = 1,    // connection refused or lost: 503, retry later
  timeout,            // statement or pool wait timed out: 503
  conflict,           // unique or serialization conflict: 409
  failed,             // anything else: 500, details only in the log
};

// Classifies the exception currently being handled (call inside a catch block).
db_failure classify_current_exception() noexcept;

// Whether the exception being handled is PostgreSQL's answer to a named
// statement that the server connection does not have (SQLSTATE 26000) or
// already has from another client (42P05): what a transaction-mode pooler does
// to prepared statements. Call inside a catch block.
bool named_statement_lost() noexcept;

}  // namespace svc
