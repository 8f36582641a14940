// CAF's own options that the loader passes through to CAF: a named list, not
// every option CAF declares. They are taken from the config file and from
// --group.key flags (no environment variable), type-checked against CAF's own
// declaration of each, and kept in settings::caf_passthrough. Anything else in
// their groups is an unknown key. Free of CAF's headers. Internal to config/.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace svc::config_detail {

struct caf_option_row {
  std::string_view group;  // "scheduler"
  std::string_view key;    // "policy"
  // The services' value, in CAF syntax ("100", "'io'"), written in the shipped
  // INI files; empty: CAF's own default, and not in the files.
  std::string_view services_default;
  // apply_to_caf_config() sets services_default in CAF's config, below every
  // file, environment and flag. False: the default is read where it is used
  // (scheduler.policy 'io': runtime/service_host.cpp), CAF never sees it.
  bool set_in_caf;
  std::string_view doc;  // comment for the INI files, lines split by '\n'

  std::string name() const;  // "scheduler.policy"
};

// The named list, in the order of the INI files.
const std::vector<caf_option_row>& caf_option_table();

const caf_option_row* find_caf_option(std::string_view group, std::string_view key);

// Whether `group` holds a pass-through option ("scheduler", "work-stealing").
bool is_caf_group(std::string_view group);

// The type CAF declares for the option ("atom", "uint64", "timespan").
std::string caf_type_name(const caf_option_row& option);

// `caf_value` (CAF syntax, from a config file) checked against the option's
// type: the canonical text, or nullopt with `why` set.
std::optional<std::string> check_caf_ini_value(const caf_option_row& option,
                                               std::string_view caf_value, std::string& why);

// A command-line value ("sharing", "4", "50us") parsed as the option's type.
std::optional<std::string> parse_caf_flag_value(const caf_option_row& option, std::string_view text,
                                                std::string& why);

}  // namespace svc::config_detail
