// Config files, read with CAF's own INI parser (caf::detail::parser::read_ini).
// Kept out of the other files because CAF's headers are heavy. Internal to config/.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace svc::config_detail {

// One "group.key = value" of a config file, the value already turned into the
// text our option parsers take (see value_text in caf_ini.cpp).
struct ini_entry {
  std::string group;
  std::string key;
  std::string text;         // for our options
  std::string caf_value;    // the value in CAF syntax ("'sharing'", "4", "50us"), for pass-through
  bool convertible = true;  // false: a map or nested list, which no option of ours takes
  bool is_list = false;     // written as [a, b]: only list options take it
};

struct ini_parse_result {
  std::vector<ini_entry> entries;
  std::string error;  // empty on success, else "line 3 (\"port = 80a81\"): unexpected newline"
};

// Parses `content` with CAF's INI parser. Also refuses what CAF silently
// accepts: a file cut off inside a list, map or string, a key given twice
// (CAF keeps the first), a key outside any [group], and a duration past the
// nanosecond range (CAF wraps it around).
ini_parse_result parse_ini(std::string_view content);

// Whether `token` starts with a CAF timespan ("30s", "0x10ms", "-5min") too
// long for CAF's nanoseconds: CAF's parser would overflow on it (undefined
// behaviour; in practice a wrong duration, without a word).
bool timespan_out_of_range(std::string_view token);

// `text` with control characters as \xHH: CAF's to_string() writes a string's
// CR or LF as it is, which would split an error line (found by fuzz_config_loader).
std::string escape_controls(std::string_view text);

}  // namespace svc::config_detail
