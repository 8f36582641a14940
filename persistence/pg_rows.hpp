// The rows of one statement's result as libpq returned it (a PGresult), read the
// way libpqxx's rows are read (`rows[i][col].as<T>()`, `is_null()`), so that a
// repository reads a row once, as a template over either kind. The pipelined
// pool (persistence/pg_pipeline.hpp) answers with these: libpqxx 6.4 offers no
// public way to wrap a PGresult of our own.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>

extern "C" {
struct pg_result;
}

namespace svc {

class pg_rows;

class pg_field {
public:
  pg_field(const pg_result* result, int row, int column) noexcept
      : result_(result), row_(row), column_(column) {}
  bool is_null() const;
  const char* c_str() const;
  // Throws pqxx's conversion_error for text that is not a T; std::domain_error
  // for a NULL (as libpqxx's field::as does). T is one of the types instantiated
  // in pg_rows.cpp (integers, bool, double, std::string): libpqxx's conversions,
  // kept out of this header that the actors include.
  template <class T>
  T as() const;

private:
  const pg_result* result_;
  int row_;
  int column_;
};

class pg_row {
public:
  using size_type = int;
  pg_row(const pg_result* result, int row) noexcept : result_(result), row_(row) {}
  pg_field operator[](int column) const noexcept { return {result_, row_, column}; }

private:
  const pg_result* result_;
  int row_;
};

class pg_rows {
public:
  pg_rows() = default;
  // Takes ownership of `result` (PQclear when the last copy goes).
  explicit pg_rows(pg_result* result);

  std::size_t size() const;
  bool empty() const { return size() == 0; }
  pg_row operator[](std::size_t row) const { return {result_.get(), static_cast<int>(row)}; }
  pg_row at(std::size_t row) const;  // std::out_of_range past the end
  // Rows an INSERT, UPDATE or DELETE touched.
  std::size_t affected_rows() const;

  class iterator {
  public:
    iterator(const pg_rows* rows, std::size_t at) : rows_(rows), at_(at) {}
    pg_row operator*() const { return (*rows_)[at_]; }
    iterator& operator++() {
      ++at_;
      return *this;
    }
    bool operator!=(const iterator& other) const { return at_ != other.at_; }

  private:
    const pg_rows* rows_;
    std::size_t at_;
  };
  iterator begin() const { return {this, 0}; }
  iterator end() const { return {this, size()}; }

private:
  std::shared_ptr<const pg_result> result_;
};

// The first row as `read` reads it, or nullopt when there is none; for rows of
// either kind (a lookup by id: zero rows or one).
template <class Rows, class Read>
auto first_row(const Rows& rows, Read read) -> std::optional<decltype(read(rows[0]))> {
  if (rows.empty())
    return std::nullopt;
  return read(rows[0]);
}

}  // namespace svc
