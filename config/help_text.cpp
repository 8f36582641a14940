// --help: generated from the option rows and the named list of CAF options, so
// it cannot fall behind them.
#include <string>

#include "config/caf_options.hpp"
#include "config/option_table.hpp"
#include "config/settings_loader.hpp"

namespace svc {
namespace {

std::string pad(std::string text, std::size_t width) {
  if (text.size() < width)
    text.append(width - text.size(), ' ');
  else
    text += ' ';
  return text;
}

}  // namespace

std::string help_text(std::string_view service_name) {
  const auto defaults = default_settings(service_name);
  std::string out;
  out += "Usage: " + std::string{service_name} +
         " [--group.key=VALUE | --group.key VALUE]... [--config-file=PATH]\n\n";
  out +=
    "Every setting comes from, lowest to highest precedence: its default, the CAF config\n"
    "file ([group] key = value), a .env file in the working directory, the environment\n"
    "variable, and the flag. A DURATION is a whole number with a unit (500ms, 30s, 2min,\n"
    "1h); a bare number counts seconds unless said otherwise. A bad value stops start-up\n"
    "with exit code 2.\n\n"
    "  -h, --help                              print this help and exit\n"
    "  --config-file=PATH                      CAF config file to read (must exist); without\n"
    "                                          it, caf-application.ini in the working\n"
    "                                          directory if present\n";

  std::string_view group;
  for (const auto& option : config_detail::option_table()) {
    if (option.group != group) {
      group = option.group;
      out += "\n[" + std::string{group} + "]\n";
    }
    out += "  " + pad(option.flag() + "=" + std::string{option.hint}, 40) +
           std::string{option.env} + "\n";
    auto shown = option.render(defaults);
    out += "      " + std::string{option.meaning} +
           " (default: " + (shown.empty() ? "\"\"" : shown) + ")\n";
    if (option.secret)
      out += "      or " + std::string{option.env} +
             "_FILE=PATH (environment, .env): the value is read from that file\n";
  }

  out +=
    "\nCAF's own options, in the config file and as --group.key=VALUE flags (no\n"
    "environment variable), checked against CAF's types and handed to CAF:\n";
  group = {};
  for (const auto& option : config_detail::caf_option_table()) {
    if (option.group != group) {
      group = option.group;
      out.append("[").append(group).append("]\n");
    }
    auto flag = option.name().insert(0, "--") + "=" + config_detail::caf_type_name(option);
    out.append("  ").append(pad(std::move(flag), 50));
    if (option.services_default.empty())
      out.append("CAF's default\n");
    else
      out.append("default: ").append(option.services_default).append("\n");
  }
  return out;
}

}  // namespace svc
