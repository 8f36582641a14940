// Optimistic concurrency: versions travel as strong ETags ("3"); If-Match lists
// the versions a client is willing to overwrite, compared strongly (a weak
// W/"3" matches nothing), or `*` for any current one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace svc {

std::string etag_for(std::int64_t version);

// The precondition a write must meet, from an If-Match header value.
struct version_precondition {
  bool required = false;       // false: no If-Match, or `*` (any existing version)
  std::string versions_csv;    // "3" or "3,4"; empty when required but nothing parsed
};

version_precondition parse_if_match(const std::string* header);

}  // namespace svc
