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

std::string_view log_level_name(log::level level) {
  switch (level) {
    case log::level::trace: return "trace";
    case log::level::debug: return "debug";
    case log::level::info: return "info";
    case log::level::warn: return "warn";
    case log::level::error: return "error";
  }
  return "info";
}

std::string_view auth_mode_name(auth_mode mode) {
  return mode == auth_mode::jwt ? "jwt" : "off";
}

std::string_view log_format_name(log::format format) {
  return format == log::format::text ? "text" : "json";
}

std::string_view rate_backend_name(rate_backend backend) {
  return backend == rate_backend::redis ? "redis" : "local";
}

}  // namespace svc
