#include "actors/db_failure.hpp"

#include <string>

#include <caf/sec.hpp>
#include <pqxx/pqxx>

#include "http/envelope.hpp"

namespace svc {

db_failure classify_current_exception() noexcept {
  try {
    throw;
  } catch (const pqxx::broken_connection&) {
    return db_failure::unavailable;
  } catch (const pqxx::in_doubt_error&) {
    return db_failure::unavailable;
  } catch (const pqxx::unique_violation&) {
    return db_failure::conflict;
  } catch (const pqxx::sql_error& e) {
    return classify_sqlstate(e.sqlstate());
  } catch (...) {
    return db_failure::failed;
  }
}

db_failure classify_sqlstate(std::string_view state) noexcept {
  if (state == "57014")  // query_canceled: statement_timeout fired
    return db_failure::timeout;
  if (state == "23505" || state == "40001" || state == "40P01")  // unique, serialization, deadlock
    return db_failure::conflict;
  if (state.substr(0, 2) == "08" || state == "57P01" || state == "57P02" || state == "57P03")
    return db_failure::unavailable;  // connection exceptions, admin shutdown, cannot connect now
  return db_failure::failed;
}

bool named_statement_lost() noexcept {
  try {
    throw;
  } catch (const pqxx::sql_error& e) {
    return e.sqlstate() == "26000" || e.sqlstate() == "42P05";
  } catch (...) {
    return false;
  }
}

caf::error make_error(db_failure failure) {
  return caf::error{static_cast<uint8_t>(failure), caf::atom("database")};
}

std::optional<db_failure> db_failure_of(const caf::error& err) {
  if (err.category() != caf::atom("database"))
    return std::nullopt;
  return static_cast<db_failure>(err.code());
}

http::response database_error_response(const caf::error& err, std::string_view request_id,
                                       std::string_view conflict_message) {
  using http::error_code;
  switch (db_failure_of(err).value_or(db_failure::failed)) {
    case db_failure::unavailable:
      return http::error_response(error_code::service_unavailable, "database unavailable",
                                  request_id);
    case db_failure::timeout:
      return http::error_response(error_code::service_unavailable, "database busy, try again",
                                  request_id);
    case db_failure::conflict:
      if (!conflict_message.empty())
        return http::error_response(error_code::conflict, std::string{conflict_message},
                                    request_id);
      return http::error_response(error_code::conflict, "conflicting concurrent change",
                                  request_id);
    case db_failure::failed: break;
  }
  if (err == caf::sec::request_timeout || err == caf::sec::request_receiver_down)
    return http::error_response(error_code::service_unavailable, "database unavailable",
                                request_id);
  return http::error_response(error_code::internal_error, "internal error", request_id);
}

}  // namespace svc
