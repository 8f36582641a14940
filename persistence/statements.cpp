#include "persistence/statements.hpp"

#include <utility>

namespace svc {

statement_catalog::statement_catalog(statement_list statements, statement_mode mode)
    : statements_(std::move(statements)), mode_(mode) {
  for (const auto& st : statements_)
    by_name_.emplace(st.name, st.sql);
}

const std::string* statement_catalog::sql_of(const std::string& name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : &it->second;
}

}  // namespace svc
