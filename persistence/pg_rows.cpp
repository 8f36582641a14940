#include "persistence/pg_rows.hpp"

#include <stdexcept>

#include <libpq-fe.h>

namespace svc {

bool pg_field::is_null() const {
  return PQgetisnull(result_, row_, column_) != 0;
}

const char* pg_field::c_str() const {
  return PQgetvalue(result_, row_, column_);
}

pg_rows::pg_rows(pg_result* result) : result_(result, [](const pg_result* r) { PQclear(const_cast<pg_result*>(r)); }) {}

std::size_t pg_rows::size() const {
  return result_ ? static_cast<std::size_t>(PQntuples(result_.get())) : 0;
}

pg_row pg_rows::at(std::size_t row) const {
  if (row >= size())
    throw std::out_of_range("row " + std::to_string(row) + " of a result with " + std::to_string(size()));
  return (*this)[row];
}

std::size_t pg_rows::affected_rows() const {
  if (!result_)
    return 0;
  const char* tuples = PQcmdTuples(const_cast<pg_result*>(result_.get()));
  return tuples && *tuples ? std::stoul(tuples) : 0;
}

}  // namespace svc
