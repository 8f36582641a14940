// Checks on the field errors a validator returns, shared by the body fuzzers.
#pragma once

#include <algorithm>
#include <set>
#include <string>
#include <string_view>

#include "domain/field_rules.hpp"
#include "fuzz_check.hpp"

namespace svc::fuzz {

inline bool has_error(const field_errors& errors, std::string_view field) {
  return std::any_of(errors.begin(), errors.end(),
                     [&](const field_error& e) { return e.field == field; });
}

// A refusal names at least one field, only fields of the resource, each once,
// each with a message.
inline void check_errors(const field_errors& errors, const std::set<std::string>& known_fields,
                         const std::string& body) {
  FUZZ_CHECK(!errors.empty(), body);
  std::set<std::string> seen;
  for (const auto& e : errors) {
    FUZZ_CHECK(known_fields.count(e.field) == 1, e.field);
    FUZZ_CHECK(!e.message.empty(), e.field);
    FUZZ_CHECK(seen.insert(e.field).second, e.field);  // one entry per offending field
  }
}

}  // namespace svc::fuzz
