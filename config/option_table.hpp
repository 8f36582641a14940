// Our options as data: one row each (config/option_rows.cpp), naming the INI
// group and key, the environment variable, the field of `settings` it fills,
// the kind of text it takes with its limits, and what it means. The loader,
// --help, effective_settings(), and the generated documentation (the commented
// config/*.ini files, their k8s ConfigMap copies and the README's settings
// table: config/option_docs.cpp) all walk these rows, so an option added there
// appears everywhere. Defaults stay the member initializers of `settings`
// (plus default_settings() for the per-service port and database). Internal to config/.
#pragma once

#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "config/settings.hpp"

namespace svc::config_detail {

// How an option's text is read and shown again.
enum class kind {
  integer,       // decimal integer in [min, max]
  duration,      // parse_duration(); a bare number counts `unit`; [min, max] in nanoseconds
  text,          // anything printable, empty for none
  boolean,       // parse_bool()
  real,          // a finite number > 0
  choice,        // one of `choices`, stored as the enum value of its index
  host,          // host name or IP address to listen on
  origins,       // "*" or a comma list of CORS origins (an INI list too)
  cidrs,         // comma list of CIDR blocks (an INI list too)
  postgres_url,  // libpq URI; a secret: masked when shown
  http_url,      // http(s)://host[:port] base URL; user info masked when shown
  redis_url,     // redis://...; a secret: masked when shown
};

// The field of `settings` an option fills: one alternative per field type.
using field_ptr =
  std::variant<std::uint16_t settings::*, int settings::*, unsigned settings::*,
               std::size_t settings::*, std::chrono::seconds settings::*,
               std::chrono::milliseconds settings::*, std::string settings::*, bool settings::*,
               double settings::*, std::vector<std::string> settings::*, auth_mode settings::*,
               rate_backend settings::*, log::level settings::*, log::format settings::*>;

inline constexpr std::int64_t unbounded = std::numeric_limits<std::int64_t>::max();

struct option_spec {
  std::string_view group;  // INI group: "http"
  std::string_view key;    // INI key: "port"
  std::string_view env;    // environment variable: "HTTP_PORT"
  field_ptr field;
  config_detail::kind kind;
  std::string_view hint;  // value shape for --help: "PORT", "DURATION", ...
  // integer: the range; duration: the range in nanoseconds (min 1: "> 0").
  std::int64_t min = 1;
  std::int64_t max = unbounded;
  // duration: what a bare number counts.
  std::chrono::nanoseconds unit = std::chrono::seconds{1};
  // What a refused value "is not": "a port number (1-65535)". Empty: worded from
  // the kind and limits. When given, every refusal says it.
  std::string_view what = {};
  std::vector<std::string_view> choices = {};  // choice: the names, in enum order
  bool any_case = false;                       // choice: "JWT" is "jwt"
  std::string_view meaning = {};               // one line for --help and the README
  // Longer text for the commented INI files, lines split by '\n'; empty: `meaning`.
  std::string_view doc = {};
  // A secret (a password inside): the environment and .env also take <env>_FILE,
  // naming a file that holds the value (the Docker / Kubernetes secrets convention).
  bool secret = false;
  bool order_service_only = false;  // left out (commented) in user-service's INI file

  // Parses `text` (already trimmed) into the option's field of `s`. On a bad
  // value returns the reason, e.g. "\"80a81\" is not a port number (1-65535)".
  std::optional<std::string> assign(std::string_view text, settings& s) const;

  // The field's value as text an operator could type back in; secrets masked.
  std::string render(const settings& s) const;

  // An INI list ["a", "b"] is accepted (as the comma list).
  bool takes_list() const {
    return kind == config_detail::kind::origins || kind == config_detail::kind::cidrs;
  }
  // The value is written in double quotes in an INI file.
  bool quoted_in_ini() const;

  std::string name() const;  // "http.port"
  std::string flag() const;  // "--http.port"
};

// The rows, in --help order (config/option_rows.cpp).
const std::vector<option_spec>& option_table();

const option_spec* find_option(std::string_view group, std::string_view key);
const option_spec* find_option_by_env(std::string_view env);

// Whether `group` is one of ours (its unknown keys are errors, not passed to CAF).
bool is_our_group(std::string_view group);

// "invalid value for --http.port (HTTP_PORT): <reason>", plus " [from <source>]"
// when a source is named.
std::string invalid_value_line(const option_spec& option, std::string_view reason,
                               std::string_view source = {});

// Rules between options, checked once every layer is merged; the error line or nullopt.
std::optional<std::string> check_consistency(const settings& s);

}  // namespace svc::config_detail
