// The CAF-facing half of the loader, kept out of the other files because CAF's
// headers are heavy. Internal to config/.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace svc::config_detail {

// One "group.key = value" of a config file, the value already turned into the
// text our option parsers take (see ini_value_text in caf_ini.cpp).
struct ini_entry {
  std::string group;
  std::string key;
  std::string text;       // for our options
  std::string caf_value;  // the value in CAF syntax ("'sharing'", "4", "50us"), for pass-through
  bool convertible = true;  // false: a map or nested list, which no option of ours takes
  bool is_list = false;     // written as [a, b]: only list options take it
};

struct ini_parse_result {
  std::vector<ini_entry> entries;
  std::string error;  // empty on success, else "line 3 (\"port = 80a81\"): unexpected newline"
};

// Parses `content` with CAF's INI parser. Also refuses what CAF silently
// accepts: a file cut off inside a list, map or string, a key given twice
// (CAF keeps the first), and a key outside any [group].
ini_parse_result parse_ini(std::string_view content);

// CAF's own option declarations (those of a default actor_system_config).
class caf_option_catalog {
public:
  caf_option_catalog();
  ~caf_option_catalog();
  caf_option_catalog(const caf_option_catalog&) = delete;
  caf_option_catalog& operator=(const caf_option_catalog&) = delete;

  // Whether CAF declares options in `group` ("scheduler", "logger", ...).
  bool is_caf_group(std::string_view group) const;

  // Whether CAF declares "group.key".
  bool knows(std::string_view group, std::string_view key) const;

  // `caf_value` (CAF syntax, from a config file) checked against the option's
  // type: the canonical text, or nullopt with `why` set.
  std::optional<std::string> check_ini_value(std::string_view group, std::string_view key,
                                             std::string_view caf_value, std::string& why) const;

  // A command-line value ("sharing", "4", "50us") parsed as the option's type.
  std::optional<std::string> parse_flag_value(std::string_view group, std::string_view key,
                                              std::string_view text, std::string& why) const;

  // Every CAF group name, sorted, for --help.
  std::vector<std::string> groups() const;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace svc::config_detail
