// The one table of our options: INI group and key, flag, environment variable,
// how its text is parsed and validated into `settings`, and how it is shown.
// The loader, --help and effective_settings() all walk this table, so an option
// added here appears everywhere. Internal to config/.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/settings.hpp"

namespace svc::config_detail {

struct option_spec {
  std::string_view group;    // INI group: "http"
  std::string_view key;      // INI key: "port"
  std::string_view env;      // environment variable: "HTTP_PORT"
  std::string_view hint;     // value shape for --help: "PORT", "DURATION", ...
  std::string_view meaning;  // one line for --help
  bool takes_list = false;   // an INI list ["a", "b"] is accepted (as the comma list)
  // A secret (a password inside): the environment and .env also take <env>_FILE,
  // naming a file that holds the value (the Docker / Kubernetes secrets convention).
  bool secret = false;

  // Parses `text` (already trimmed) into the option's field of `s`. On a bad
  // value returns the reason, e.g. "\"80a81\" is not a port number (1-65535)".
  std::function<std::optional<std::string>(std::string_view text, settings& s)> assign;

  // The field's value as text an operator could type back in; secrets masked.
  std::function<std::string(const settings& s)> render;

  std::string name() const;  // "http.port"
  std::string flag() const;  // "--http.port"
};

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
