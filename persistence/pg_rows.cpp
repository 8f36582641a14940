#include "persistence/pg_rows.hpp"

#include <stdexcept>

#include <libpq-fe.h>
#include <pqxx/strconv>

namespace svc {

bool pg_field::is_null() const {
  return PQgetisnull(result_, row_, column_) != 0;
}

const char* pg_field::c_str() const {
  return PQgetvalue(result_, row_, column_);
}

template <class T>
T pg_field::as() const {
  if (is_null())
    throw std::domain_error("a NULL field read as a value");
  T value{};
  pqxx::from_string(c_str(), value);
  return value;
}

template bool pg_field::as<bool>() const;
template int pg_field::as<int>() const;
template unsigned pg_field::as<unsigned>() const;
template long pg_field::as<long>() const;
template long long pg_field::as<long long>() const;
template unsigned long pg_field::as<unsigned long>() const;
template double pg_field::as<double>() const;
template std::string pg_field::as<std::string>() const;

pg_rows::pg_rows(pg_result* result)
    : result_(result, [](const pg_result* r) { PQclear(const_cast<pg_result*>(r)); }) {
}

std::size_t pg_rows::size() const {
  return result_ ? static_cast<std::size_t>(PQntuples(result_.get())) : 0;
}

pg_row pg_rows::at(std::size_t row) const {
  if (row >= size())
    throw std::out_of_range("row " + std::to_string(row) + " of a result with " +
                            std::to_string(size()));
  return (*this)[row];
}

std::size_t pg_rows::affected_rows() const {
  if (!result_)
    return 0;
  const char* tuples = PQcmdTuples(const_cast<pg_result*>(result_.get()));
  return tuples && *tuples ? std::stoul(tuples) : 0;
}

}  // namespace svc
