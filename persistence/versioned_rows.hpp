// What the repositories of versioned, soft-deleted resources share: the outcome
// of a conditional write and how an If-Match precondition reaches SQL.
#pragma once

#include <optional>
#include <string>

#include "domain/versioning.hpp"

namespace svc {

// refused: the row exists and the version matches, but a rule of the resource
// forbids the change (an order's status lifecycle). raced: the row matched when
// read but another writer changed it before this write could (a write without
// If-Match that lost a race with a rule's change; rare).
enum class write_outcome { done, not_found, version_mismatch, refused, raced };

template <class T>
struct write_result {
  write_outcome outcome = write_outcome::done;
  T value{};
  std::string current_status;  // the row's status, when the rule refused the change
};

// NULL means "any live version"; otherwise a comma list of acceptable versions,
// tested in SQL with VERSION_MATCHES.
inline std::optional<std::string> versions_param(const version_precondition& p) {
  if (!p.required)
    return std::nullopt;
  return p.versions_csv;
}

#define SVC_VERSION_MATCHES(param) \
  "(" param "::text IS NULL OR version = ANY(string_to_array(" param "::text, ',')::bigint[]))"

}  // namespace svc
