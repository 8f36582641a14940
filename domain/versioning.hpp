// Optimistic concurrency: versions travel as strong ETags ("3"); If-Match lists
// the versions a client is willing to overwrite, compared strongly (a weak
// W/"3" matches nothing), or `*` for any current one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace svc {

std::string etag_for(std::int64_t version);

// The precondition a write must meet, from an If-Match header value.
struct version_precondition {
  bool required = false;     // false: no If-Match, or `*` (any existing version)
  std::string versions_csv;  // "3" or "3,4"; empty when required but nothing parsed
};

version_precondition parse_if_match(const std::string* header);

// True if an If-None-Match value names `etag` (or is `*`): the client's copy is
// current. RFC 9110 section 13.1.2: weak comparison, so W/"3" names "3" too.
bool if_none_match_hits(std::string_view header, std::string_view etag);

}  // namespace svc
