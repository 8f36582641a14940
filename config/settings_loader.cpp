#include "config/settings_loader.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <system_error>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>  // environ, read

#include "config/caf_ini.hpp"
#include "config/caf_options.hpp"
#include "config/dotenv.hpp"
#include "config/option_table.hpp"
#include "config/secret_mask.hpp"
#include "config/value_parsers.hpp"

namespace svc {
namespace {

using namespace config_detail;
namespace fs = std::filesystem;

constexpr std::string_view default_config_file = "caf-application.ini";

struct flag {
  std::string name;  // "http.port", without the dashes
  std::string value;
};

struct command_line {
  bool help = false;
  std::optional<std::string> config_file;
  std::vector<flag> flags;
  std::string error;
};

// A flag name as an error line shows it: control characters escaped, so that
// the line stays one line (quote_value without the quotes).
std::string shown_name(std::string_view name) {
  auto quoted = quote_value(name);
  return quoted.substr(1, quoted.size() - 2);
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// Splits the arguments into flags; what the flags mean is decided later, once
// the lower layers are in (so that --help works even beside a bad flag).
command_line parse_command_line(const std::vector<std::string>& args) {
  command_line cl;
  for (const auto& arg : args)
    if (arg == "--help" || arg == "-h")
      cl.help = true;
  if (cl.help)
    return cl;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (!starts_with(arg, "--") || arg.size() == 2) {
      // Maybe a connection string given without its option name.
      cl.error = "unexpected argument " + quote_value(mask_secrets(arg)) +
                 " (options look like --group.key=VALUE; see --help)";
      return cl;
    }
    auto body = arg.substr(2);
    auto eq = body.find('=');
    flag f{std::string{body.substr(0, eq)}, {}};
    if (eq != std::string_view::npos) {
      f.value = body.substr(eq + 1);
    } else if (i + 1 < args.size() && !starts_with(args[i + 1], "--")) {
      f.value = args[++i];
    } else {
      cl.error = "missing value for --" + shown_name(f.name) + " (see --help)";
      return cl;
    }
    if (f.name == "config-file")
      cl.config_file = f.value;
    else
      cl.flags.push_back(std::move(f));
  }
  return cl;
}

std::optional<std::string> read_file(const fs::path& path) {
  std::ifstream in{path, std::ios::binary};
  if (!in)
    return std::nullopt;
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad())
    return std::nullopt;
  return content.str();
}

// A secret's file (<NAME>_FILE): a regular file of at most 64 KiB. Opened
// without blocking and checked to be a regular file first, so that a FIFO or a
// device named by mistake fails at once instead of hanging or filling memory.
std::optional<std::string> read_secret_file(const fs::path& path, std::string& why) {
  constexpr std::size_t max_bytes = std::size_t{64} * 1024;
  int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    why = std::strerror(errno);
    return std::nullopt;
  }
  struct stat st {};
  std::string content;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    why = "not a regular file";
  } else {
    char buffer[4096];
    for (;;) {
      auto n = ::read(fd, buffer, sizeof buffer);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0) {
        if (n < 0)
          why = std::strerror(errno);
        break;
      }
      content.append(buffer, static_cast<std::size_t>(n));
      if (content.size() > max_bytes) {
        why = "larger than 64 KiB";
        break;
      }
    }
  }
  ::close(fd);
  if (!why.empty())
    return std::nullopt;
  while (!content.empty() && (content.back() == '\n' || content.back() == '\r'))
    content.pop_back();  // the newline `echo` or an editor leaves
  return content;
}

void set_passthrough(settings& s, std::string name, std::string value) {
  for (auto& entry : s.caf_passthrough)
    if (entry.first == name) {
      entry.second = std::move(value);
      return;
    }
  s.caf_passthrough.emplace_back(std::move(name), std::move(value));
}

// Applies the layers one by one; every method returns the error line, or an
// empty string when all went well.
class loader {
public:
  loader(settings defaults, fs::path working_dir)
      : s_(std::move(defaults)), working_dir_(std::move(working_dir)) {}

  settings& result() { return s_; }

  std::string apply(const option_spec& option, std::string_view text, std::string_view source) {
    if (auto why = option.assign(trim(text), s_))
      return invalid_value_line(option, *why, source);
    return {};
  }

  // A secret option given as <env>_FILE in `layer` (the environment or a .env
  // file): the value is the file's content. Relative paths start at the working
  // directory. The error lines name <env>_FILE and the path, never the content
  // (a bad value's own line masks it like any other).
  std::string apply_secret_file(const option_spec& option, const std::string& file,
                                std::string_view layer) {
    const auto file_env = std::string{option.env} + "_FILE";
    auto path = fs::path{std::string{trim(file)}};
    if (path.empty())
      return "invalid value for " + option.flag() + " (" + file_env + "): an empty path [from " +
             std::string{layer} + "]";
    if (path.is_relative())
      path = working_dir_ / path;
    std::string why;
    auto content = read_secret_file(path, why);
    if (!content)
      return "invalid value for " + option.flag() + " (" + file_env + "): cannot read " +
             quote_value(path.string()) + ": " + why + " [from " + std::string{layer} + "]";
    return apply(option, *content,
                 "file " + path.string() + " (" + file_env + ", " + std::string{layer} + ")");
  }

  // "<env> and <env>_FILE are both set": one of them must go.
  static std::string both_set(const option_spec& option, std::string_view layer) {
    return "invalid value for " + option.flag() + " (" + std::string{option.env} +
           "_FILE): " + std::string{option.env} + " is set too; set only one of them [from " +
           std::string{layer} + "]";
  }

  std::string apply_config_file(const fs::path& path, bool must_exist) {
    std::error_code ec;
    if (!fs::exists(path, ec)) {
      if (must_exist)
        return "config file " + path.string() + " (--config-file) not found";
      return {};
    }
    auto content = read_file(path);
    if (!content)
      return "config file " + path.string() + " cannot be read";
    const auto source = "config file " + path.string();
    auto parsed = parse_ini(*content);
    if (!parsed.error.empty())
      return source + ": " + parsed.error;
    for (const auto& entry : parsed.entries) {
      if (auto option = find_option(entry.group, entry.key)) {
        auto error = entry.convertible && (!entry.is_list || option->takes_list())
                       ? apply(*option, entry.text, source)
                       : invalid_value_line(*option, entry.caf_value + " is not a single value",
                                            source);
        if (!error.empty())
          return error;
      } else if (auto caf = find_caf_option(entry.group, entry.key)) {
        std::string why;
        auto value = check_caf_ini_value(*caf, entry.caf_value, why);
        if (!value) {
          std::string line = "invalid value for --";
          line.append(entry.group).append(".").append(entry.key).append(": ").append(why);
          return line.append(" [from ").append(source).append("]");
        }
        set_passthrough(s_, entry.group + "." + entry.key, std::move(*value));
      } else if (is_our_group(entry.group) || is_caf_group(entry.group)) {
        return source + ": unknown key \"" + entry.key + "\" in [" + entry.group + "] (see --help)";
      } else {
        return source + ": unknown group [" + entry.group + "] (see --help)";
      }
    }
    return {};
  }

  std::string apply_dotenv(const fs::path& path) {
    std::error_code ec;
    if (!fs::exists(path, ec))
      return {};
    auto content = read_file(path);
    if (!content)
      return ".env file " + path.string() + " cannot be read";
    auto parsed = parse_dotenv(*content);
    if (!parsed.error.empty())
      return ".env file " + path.string() + ": " + parsed.error;
    // Table order, so that the first bad value reported does not depend on the file's order.
    for (const auto& option : option_table()) {
      auto it = parsed.values.find(std::string{option.env});
      if (option.secret) {
        auto file = parsed.values.find(std::string{option.env} + "_FILE");
        if (file != parsed.values.end()) {
          auto layer = path.string() + " line " + std::to_string(file->second.line);
          if (it != parsed.values.end())
            return both_set(option, layer);
          if (auto error = apply_secret_file(option, file->second.value, layer); !error.empty())
            return error;
          continue;
        }
      }
      if (it == parsed.values.end())
        continue;
      auto source = path.string() + " line " + std::to_string(it->second.line);
      if (auto error = apply(option, it->second.value, source); !error.empty())
        return error;
    }
    return {};
  }

  std::string apply_environment(const std::map<std::string, std::string>& environment) {
    for (const auto& option : option_table()) {
      auto it = environment.find(std::string{option.env});
      if (option.secret) {
        auto file = environment.find(std::string{option.env} + "_FILE");
        if (file != environment.end()) {
          if (it != environment.end())
            return both_set(option, "environment");
          if (auto error = apply_secret_file(option, file->second, "environment"); !error.empty())
            return error;
          continue;
        }
      }
      if (it == environment.end())
        continue;
      if (auto error = apply(option, it->second, "environment"); !error.empty())
        return error;
    }
    return {};
  }

  std::string apply_flags(const std::vector<flag>& flags) {
    for (const auto& f : flags) {
      auto dot = f.name.find('.');
      auto group = std::string_view{f.name}.substr(0, dot);
      auto key = dot == std::string::npos ? std::string_view{}
                                          : std::string_view{f.name}.substr(dot + 1);
      if (auto option = find_option(group, key)) {
        if (auto error = apply(*option, f.value, "command line"); !error.empty())
          return error;
      } else if (auto caf = find_caf_option(group, key)) {
        std::string why;
        auto value = parse_caf_flag_value(*caf, f.value, why);
        if (!value)
          return "invalid value for --" + f.name + ": " + why + " [from command line]";
        set_passthrough(s_, f.name, std::move(*value));
      } else {
        return "unknown option --" + shown_name(f.name) + " (see --help)";
      }
    }
    return {};
  }

private:
  settings s_;
  fs::path working_dir_;  // relative paths of <env>_FILE start here
};

load_result failure(std::string line) {
  load_result r;
  r.kind = load_result::error;
  r.text = std::move(line);
  return r;
}

}  // namespace

load_result load_settings(std::string_view service_name, const std::vector<std::string>& args,
                          const std::map<std::string, std::string>& environment,
                          const std::filesystem::path& working_dir) {
  if (service_name != "user-service" && service_name != "order-service")
    return failure("unknown service name " + quote_value(service_name));
  auto cl = parse_command_line(args);
  if (cl.help) {
    load_result r;
    r.kind = load_result::help;
    r.text = help_text(service_name);
    return r;
  }
  if (!cl.error.empty())
    return failure(cl.error);

  loader l{default_settings(service_name), working_dir};
  auto config_file = cl.config_file ? working_dir / *cl.config_file
                                    : working_dir / default_config_file;
  if (auto error = l.apply_config_file(config_file, cl.config_file.has_value()); !error.empty())
    return failure(error);
  if (auto error = l.apply_dotenv(working_dir / ".env"); !error.empty())
    return failure(error);
  if (auto error = l.apply_environment(environment); !error.empty())
    return failure(error);
  if (auto error = l.apply_flags(cl.flags); !error.empty())
    return failure(error);
  if (auto error = check_consistency(l.result()))
    return failure(*error);

  load_result r;
  r.kind = load_result::ok;
  r.config = std::move(l.result());
  return r;
}

load_result load_settings(std::string_view service_name, int argc, const char* const* argv) {
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i)
    args.emplace_back(argv[i]);
  std::map<std::string, std::string> environment;
  for (char** entry = environ; entry && *entry; ++entry) {
    std::string_view text{*entry};
    auto eq = text.find('=');
    if (eq != std::string_view::npos)
      environment.emplace(text.substr(0, eq), text.substr(eq + 1));
  }
  std::error_code ec;
  auto cwd = std::filesystem::current_path(ec);
  return load_settings(service_name, args, environment, ec ? std::filesystem::path{"."} : cwd);
}

}  // namespace svc
