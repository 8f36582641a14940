// A reference for parse_json_object() (domain/field_rules.hpp), shared by the
// body fuzz targets: it must accept exactly the well-formed JSON objects
// nested at most 32 levels (the README's rule).
#pragma once

#include <algorithm>
#include <string>

#include <nlohmann/json.hpp>

#include "fuzz_check.hpp"

namespace svc::fuzz {

// Nesting level of `j`: a scalar 0, {} and [] 1, {"a": []} 2.
inline int json_level(const nlohmann::json& j) {
  if (!j.is_structured())
    return 0;
  int deepest = 0;
  for (const auto& item : j)
    deepest = std::max(deepest, json_level(item));
  return deepest + 1;
}

inline void check_parse_json_object(const std::string& text, bool accepted) {
  // nlohmann's lexer stops at a NUL byte as if the input ended there; in JSON
  // text a raw NUL is never valid.
  auto reference = nlohmann::json::parse(text, nullptr, false);
  if (text.find('\0') != std::string::npos || reference.is_discarded() || !reference.is_object()) {
    FUZZ_CHECK(!accepted, text);
    return;
  }
  // Level 33 is left open: an empty container there is within 32 levels of content.
  auto level = json_level(reference);
  if (level <= 32)
    FUZZ_CHECK(accepted, text);
  if (level >= 34)
    FUZZ_CHECK(!accepted, text);
}

}  // namespace svc::fuzz
