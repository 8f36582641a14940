#include "config/caf_options.hpp"

#include <algorithm>

#include <caf/actor_system_config.hpp>
#include <caf/config_option_set.hpp>
#include <caf/config_value.hpp>

#include "config/caf_ini.hpp"
#include "config/settings_loader.hpp"
#include "config/value_parsers.hpp"

namespace svc::config_detail {
namespace {

caf::string_view caf_view(std::string_view s) {
  return caf::string_view{s.data(), s.size()};
}

std::string to_std(caf::string_view s) {
  return std::string{s.data(), s.size()};
}

// A default CAF configuration, only to read CAF's declaration of an option.
struct declarations : caf::actor_system_config {
  const caf::config_option* lookup(const caf_option_row& row) const {
    return custom_options_.qualified_name_lookup(caf_view(row.group), caf_view(row.key));
  }
};

const caf::config_option* declaration(const caf_option_row& row) {
  static const declarations caf_defaults;
  return caf_defaults.lookup(row);
}

std::string not_of_caf_type(std::string_view shown, const caf::config_option* option) {
  return std::string{shown} + " is not of the type CAF expects" +
         (option ? " (" + to_std(option->type_name()) + ")" : std::string{});
}

}  // namespace

std::string caf_option_row::name() const {
  return std::string{group} + "." + std::string{key};
}

// Only what the services may need to tune: the scheduler's policy and
// throughput, and the polling of CAF's work-stealing pool. CAF's logger is
// compiled out in Debian's build; its middleman, OpenSSL and OpenCL modules and
// streams are not used; its profiler needs a build of its own.
const std::vector<caf_option_row>& caf_option_table() {
  static const std::vector<caf_option_row> table{
    {"scheduler", "policy", "'io'", false,
     "CAF's own options, handed to CAF after a type check (no environment variable):\n"
     "where actors run, an atom: 'io' (default) runs them on the I/O threads above,\n"
     "so a request stays on one thread from socket to socket; 'stealing' or\n"
     "'sharing' run them on a CAF thread pool of max-threads"},
    // CAF's own default is unbounded: one actor with a long mailbox would hold its
    // I/O thread, and every connection on it, until the mailbox is empty.
    {"scheduler", "max-throughput", "100", true,
     "messages an actor may handle before its thread serves others (sockets, other\n"
     "actors); CAF's own default is unbounded"},
    {"work-stealing", "aggressive-poll-attempts", "", false, ""},
    {"work-stealing", "aggressive-steal-interval", "", false, ""},
    // An idle scheduler thread goes from its short spin straight to waiting on its
    // condition variable. CAF's default first sleeps 50 us at a time, 500 times: a
    // system call and a context switch each, about five per request under load,
    // taken from the CPU that PostgreSQL and the clients need (docs/PERFORMANCE.md).
    {"work-stealing", "moderate-poll-attempts", "0", true,
     "CAF's idle-thread polling, handed to CAF like [scheduler] policy; only CAF's\n"
     "'stealing' pool has these threads (not the default 'io' policy). The services\n"
     "default to 0 (CAF's own default is 500): an idle scheduler thread then waits on\n"
     "its condition variable right after its short spin, instead of sleeping 50 us at a\n"
     "time, which costs a system call and a context switch each (see docs/PERFORMANCE.md)"},
    {"work-stealing", "moderate-steal-interval", "", false, ""},
    {"work-stealing", "moderate-sleep-duration", "", false, ""},
    {"work-stealing", "relaxed-steal-interval", "", false, ""},
    {"work-stealing", "relaxed-sleep-duration", "", false, ""},
  };
  return table;
}

const caf_option_row* find_caf_option(std::string_view group, std::string_view key) {
  for (const auto& row : caf_option_table())
    if (row.group == group && row.key == key)
      return &row;
  return nullptr;
}

bool is_caf_group(std::string_view group) {
  const auto& t = caf_option_table();
  return std::any_of(t.begin(), t.end(),
                     [&](const caf_option_row& row) { return row.group == group; });
}

std::string caf_type_name(const caf_option_row& option) {
  auto declared = declaration(option);
  return declared ? to_std(declared->type_name()) : "undeclared";
}

std::optional<std::string> check_caf_ini_value(const caf_option_row& row,
                                               std::string_view caf_value, std::string& why) {
  auto option = declaration(row);
  auto value = caf::config_value::parse(caf_view(caf_value));
  if (!option || !value || option->check(*value)) {
    why = not_of_caf_type(escape_controls(caf_value), option);
    return std::nullopt;
  }
  return caf::to_string(*value);
}

std::optional<std::string> parse_caf_flag_value(const caf_option_row& row, std::string_view text,
                                                std::string& why) {
  if (timespan_out_of_range(trim(text))) {
    why = quote_value(text) + " is out of range";
    return std::nullopt;
  }
  auto option = declaration(row);
  auto value = option ? option->parse(caf_view(text))
                      : caf::expected<caf::config_value>{caf::sec::invalid_argument};
  if (!value) {
    why = not_of_caf_type(quote_value(text), option);
    return std::nullopt;
  }
  return caf::to_string(*value);
}

}  // namespace svc::config_detail

namespace svc {

void apply_to_caf_config(const settings& s, caf::actor_system_config& cfg) {
  // The services' own defaults first, below any file, environment or flag (the
  // reasons are with each row above).
  for (const auto& row : config_detail::caf_option_table())
    if (row.set_in_caf)
      if (auto value = caf::config_value::parse(config_detail::caf_view(row.services_default)))
        cfg.set(config_detail::caf_view(row.name()), std::move(*value));
  if (s.scheduler_max_threads > 0)
    cfg.set("scheduler.max-threads",
            static_cast<caf::config_value::integer>(s.scheduler_max_threads));
  // Every entry was type-checked against CAF's declaration while loading.
  for (const auto& [name, value] : s.caf_passthrough)
    if (auto parsed = caf::config_value::parse(config_detail::caf_view(value)))
      cfg.set(config_detail::caf_view(name), std::move(*parsed));
}

}  // namespace svc
