#include "persistence/database_errors.hpp"

#include <string>

#include <pqxx/pqxx>

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
    const auto& state = e.sqlstate();
    if (state == "57014")  // query_canceled: statement_timeout fired
      return db_failure::timeout;
    if (state == "40001" || state == "40P01")  // serialization failure, deadlock
      return db_failure::conflict;
    if (state.rfind("08", 0) == 0 || state == "57P01" || state == "57P02" || state == "57P03")
      return db_failure::unavailable;  // connection exceptions, admin shutdown, cannot connect now
    return db_failure::failed;
  } catch (...) {
    return db_failure::failed;
  }
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

}  // namespace svc
