// Loads a service's settings from, lowest to highest precedence:
//   defaults < config file < .env file < environment < command-line flags
//
// Config file: CAF's INI format, `caf-application.ini` in the working directory
// (missing is fine) or `--config-file=PATH` (must exist). Our options are the
// rows of config/option_rows.cpp; a named list of CAF's own options
// (config/caf_options.cpp: [scheduler] policy, max-throughput, [work-stealing])
// is type-checked against CAF's declarations and kept in settings::caf_passthrough.
// Any other key or group is an error.
// The file is parsed with CAF's parser but never through typed CAF options,
// because CAF silently drops a badly typed value: here every value of every
// layer is converted and checked by us, and a bad one is an error.
//
// `.env`: KEY=VALUE lines (see config/dotenv.hpp); only our variable names are read.
// Secrets (DATABASE_URL): the environment and .env also take <NAME>_FILE, a file
// whose content (trailing newlines stripped) is the value; both set is an error,
// as is a file that cannot be read (relative paths start at the working directory).
// Flags: --group.key=VALUE or --group.key VALUE, --config-file=PATH, --help / -h.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "config/settings.hpp"

namespace caf {
class actor_system_config;
}

namespace svc {

struct load_result {
  enum outcome { ok, help, error };

  outcome kind = ok;
  settings config;  // when ok
  std::string
    text;  // help: the text to print (exit 0); error: one line naming option and value (exit 2)
};

// `args` excludes the program name. `service_name` is "user-service" or
// "order-service" (anything else is an error result). Relative paths
// (--config-file, .env) are taken from `working_dir`.
load_result load_settings(std::string_view service_name, const std::vector<std::string>& args,
                          const std::map<std::string, std::string>& environment,
                          const std::filesystem::path& working_dir);

// The same with the process's arguments (argv[0] skipped), environment
// (`environ`) and current directory.
load_result load_settings(std::string_view service_name, int argc, const char* const* argv);

// What --help prints: every option with its flag, variable, default and meaning.
std::string help_text(std::string_view service_name);

// Hands the CAF part of `s` to CAF: scheduler.max-threads (when not 0) and
// every caf_passthrough entry. Call before constructing the actor_system.
void apply_to_caf_config(const settings& s, caf::actor_system_config& cfg);

}  // namespace svc
