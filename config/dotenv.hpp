// Reader for a `.env` file: KEY=VALUE lines, the way docker compose and the
// dotenv libraries write them. Internal to config/.
//
//   # a comment            blank lines and comments are skipped
//   export KEY=value       "export " is optional
//   KEY=value # note       unquoted: blanks trimmed, " #..." is a comment
//   KEY="a \"b\" \n"       double quotes: \" \\ \n \t escapes
//   KEY='literal $x'       single quotes: taken as is
//
// A later line for the same key wins. Values span one line only.
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace svc::config_detail {

struct dotenv_value {
  std::string value;
  int line = 0;  // 1-based, for error messages
};

struct dotenv_result {
  std::map<std::string, dotenv_value> values;
  std::string error;  // empty on success, else "line 3: expected KEY=VALUE"
};

dotenv_result parse_dotenv(std::string_view content);

}  // namespace svc::config_detail
