// Strict parsers for the text of one setting, whichever layer it came from.
// Internal to config/. Each returns std::nullopt when the whole text is not a
// valid value: no trailing junk, no silent clamping. The caller words the error.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "observability/log.hpp"

namespace svc::config_detail {

// Without leading and trailing ASCII blanks (space, tab, CR, LF).
std::string_view trim(std::string_view text);

// `text` in double quotes, control characters escaped, for error lines.
std::string quote_value(std::string_view text);

// A decimal integer in [min, max]; an optional leading '-' only.
std::optional<std::int64_t> parse_integer(std::string_view text, std::int64_t min,
                                          std::int64_t max);

// A finite decimal number greater than 0 ("100", "0.5", "2e3").
std::optional<double> parse_positive_real(std::string_view text);

// A non-negative duration: an integer with an optional unit suffix ns, us, ms,
// s, min or h ("30s", "500ms"), as CAF writes timespans. A bare integer counts
// in `bare_unit` (seconds for most options). Overflow past ~292 years fails.
std::optional<std::chrono::nanoseconds> parse_duration(std::string_view text,
                                                       std::chrono::nanoseconds bare_unit);

// "trace" ... "error" / "json", "text", case-insensitive.
std::optional<log::level> parse_log_level(std::string_view text);
std::optional<log::format> parse_log_format(std::string_view text);

// true, 1, yes, on / false, 0, no, off, case-insensitive: the spellings an INI
// boolean, an environment file and a shell script use.
std::optional<bool> parse_bool(std::string_view text);

// A host name, an IPv4 or an IPv6 address (without brackets), to listen on.
bool is_listen_host(std::string_view text);

// A "postgresql://" or "postgres://" URI that libpq accepts (authority present,
// port if any 1-65535, no fragment; a multi-host list is not accepted), with its
// scheme in lower case: schemes are case-insensitive (RFC 3986), libpq's check
// of the prefix is not. nullopt when malformed or anything else.
std::optional<std::string> parse_postgres_url(std::string_view text);

// "http(s)://host[:port]" with at most a "/" path: the base URL without its
// trailing '/'; nullopt when malformed or anything else is present.
std::optional<std::string> parse_http_base_url(std::string_view text);

// "*" alone, or a comma list of exact origins "http[s]://host[:port]" (blanks
// around items ignored).
std::optional<std::vector<std::string>> parse_origin_list(std::string_view text);

}  // namespace svc::config_detail
