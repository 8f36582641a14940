// A reference for parse_json_object() (domain/field_rules.hpp), shared by the
// body fuzz targets: it must accept exactly the well-formed JSON objects
// nested at most 32 levels without a repeated member name in any object (the
// README's rules).
#pragma once

#include <algorithm>
#include <set>
#include <string>
#include <vector>

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

// True if some object of the (well-formed) text names a member twice: read
// with nlohmann's SAX interface, independent of the parser callback the
// product uses.
inline bool has_repeated_member(const std::string& text) {
  struct detector : nlohmann::json_sax<nlohmann::json> {
    std::vector<std::set<std::string>> objects;
    bool repeated = false;
    bool null() override { return true; }
    bool boolean(bool) override { return true; }
    bool number_integer(number_integer_t) override { return true; }
    bool number_unsigned(number_unsigned_t) override { return true; }
    bool number_float(number_float_t, const string_t&) override { return true; }
    bool string(string_t&) override { return true; }
    bool binary(binary_t&) override { return true; }
    bool start_object(std::size_t) override {
      objects.emplace_back();
      return true;
    }
    bool key(string_t& k) override {
      repeated = repeated || !objects.back().insert(k).second;
      return true;
    }
    bool end_object() override {
      objects.pop_back();
      return true;
    }
    bool start_array(std::size_t) override { return true; }
    bool end_array() override { return true; }
    bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
      return false;
    }
  } d;
  nlohmann::json::sax_parse(text, &d, nlohmann::json::input_format_t::json, false);
  return d.repeated;
}

inline void check_parse_json_object(const std::string& text, bool accepted) {
  // nlohmann's lexer stops at a NUL byte as if the input ended there; in JSON
  // text a raw NUL is never valid.
  auto reference = nlohmann::json::parse(text, nullptr, false);
  if (text.find('\0') != std::string::npos || reference.is_discarded() || !reference.is_object()) {
    FUZZ_CHECK(!accepted, text);
    return;
  }
  if (has_repeated_member(text)) {
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
