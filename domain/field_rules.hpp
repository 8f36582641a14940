// Field-level rules shared by every resource's validation: reading typed values
// out of a JSON object and collecting one error per offending field.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace svc {

struct field_error {
  std::string field;
  std::string message;
};

using field_errors = std::vector<field_error>;

// Trims ASCII white space at both ends.
std::string trim(std::string_view s);

// Number of Unicode code points in valid UTF-8 (the parser already rejected invalid).
std::size_t utf8_length(std::string_view s);

// True if `s` is well-formed UTF-8 as PostgreSQL accepts it: no overlong forms, no
// surrogates, nothing above U+10FFFF. Text from a URL has not been through the
// JSON parser, so it must pass this before it reaches the database.
bool is_valid_utf8(std::string_view s);

// True if the text holds a C0 control character or DEL (NUL included): such text
// is never a sensible name and PostgreSQL cannot store NUL in `text`.
bool has_control_chars(std::string_view s);

// Reads body[name] as a string trimmed of blank characters (trim_blank), with at
// least `min` visible characters and at most `max` code points, and no control or
// bidirectional-control character.
// Absent: nullopt without error unless `required`. Wrong type or length: an error.
std::optional<std::string> string_field(const nlohmann::json& body, const char* name,
                                        std::size_t min, std::size_t max, bool required,
                                        field_errors& errors);

// Reads body[name] as an integer in [min, max]; floats, booleans and strings are errors.
std::optional<std::int64_t> integer_field(const nlohmann::json& body, const char* name,
                                          std::int64_t min, std::int64_t max, bool required,
                                          field_errors& errors);

// Reads body[name] as one of `allowed` strings.
std::optional<std::string> enum_field(const nlohmann::json& body, const char* name,
                                      const std::vector<std::string_view>& allowed,
                                      field_errors& errors);

// Parses a decimal integer (optionally signed) that must use the whole text.
std::optional<std::int64_t> parse_int64(std::string_view text);

// Why a request body is not a usable JSON object.
struct json_problem {
  std::string message;
  // Set when the text is well-formed but one member's value cannot be represented
  // (a number beyond double's range): the top-level member it sits in, so that it
  // is reported as that field's error.
  std::string field;
};

// Parses a JSON request body. Returns nullopt (with `problem` set) for malformed
// JSON, JSON nested deeper than a sane limit, a body that is not an object, an
// object with a repeated member name (at any level), or a number out of range.
std::optional<nlohmann::json> parse_json_object(std::string_view body, json_problem& problem);

}  // namespace svc
