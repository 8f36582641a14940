#include "config/settings.hpp"

#include "config/option_table.hpp"
#include "config/secret_mask.hpp"

namespace svc {

std::string settings::masked_database_url() const {
  return mask_secrets(database_url);
}

settings default_settings(std::string_view service_name) {
  settings s;
  s.service_name = service_name;
  if (service_name == "order-service") {
    s.http_port = 8082;
    s.database_url = "postgresql://postgres@localhost:5432/orders";
  }
  return s;
}

std::vector<std::pair<std::string, std::string>> effective_settings(const settings& s) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& option : config_detail::option_table())
    out.emplace_back(option.name(), option.render(s));
  for (const auto& entry : s.caf_passthrough)
    out.push_back(entry);
  return out;
}

namespace {

// The name of an enum value: its option row's choice of that index.
std::string_view choice_name(std::string_view group, std::string_view key, int value) {
  return config_detail::find_option(group, key)->choices.at(static_cast<std::size_t>(value));
}

}  // namespace

std::string_view log_level_name(log::level level) {
  return choice_name("log", "level", static_cast<int>(level));
}

std::string_view auth_mode_name(auth_mode mode) {
  return choice_name("auth", "mode", static_cast<int>(mode));
}

std::string_view log_format_name(log::format format) {
  return choice_name("log", "format", static_cast<int>(format));
}

std::string_view rate_backend_name(rate_backend backend) {
  return choice_name("rate-limit", "backend", static_cast<int>(backend));
}

}  // namespace svc
