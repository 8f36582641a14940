#include "domain/versioning.hpp"

#include "domain/field_rules.hpp"

namespace svc {

std::string etag_for(std::int64_t version) {
  // Appended piece by piece: GCC 12 warns (-Wrestrict, a known false positive)
  // on "literal" + std::string&&.
  std::string tag = "\"";
  tag += std::to_string(version);
  tag += '"';
  return tag;
}

version_precondition parse_if_match(const std::string* header) {
  version_precondition result;
  if (!header)
    return result;
  result.required = true;
  std::string_view rest = *header;
  while (!rest.empty()) {
    auto comma = rest.find(',');
    auto tag = trim(rest.substr(0, comma));
    if (tag == "*")
      return {};  // any current version
    // RFC 9110 section 13.1.1: If-Match compares strongly, so a weak tag (W/"3")
    // matches nothing, and neither does anything that is no entity-tag (3).
    std::string_view t = tag;
    bool quoted = t.size() >= 2 && t.front() == '"' && t.back() == '"';
    if (quoted)
      t = t.substr(1, t.size() - 2);
    if (auto v = parse_int64(t); quoted && v && *v >= 1) {
      if (!result.versions_csv.empty())
        result.versions_csv += ',';
      result.versions_csv += std::to_string(*v);
    }
    if (comma == std::string_view::npos)
      break;
    rest.remove_prefix(comma + 1);
  }
  return result;
}

bool if_none_match_hits(std::string_view header, std::string_view etag) {
  auto opaque = [](std::string_view tag) {
    if (tag.rfind("W/", 0) == 0)
      tag.remove_prefix(2);
    return tag;
  };
  while (!header.empty()) {
    auto comma = header.find(',');
    auto tag = trim(header.substr(0, comma));
    if (tag == "*" || (!tag.empty() && opaque(tag) == opaque(etag)))
      return true;
    if (comma == std::string_view::npos)
      break;
    header.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace svc
