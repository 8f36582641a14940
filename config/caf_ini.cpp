#include "config/caf_ini.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <map>
#include <set>

#include <caf/actor_system_config.hpp>
#include <caf/config_option_set.hpp>
#include <caf/config_value.hpp>
#include <caf/detail/ini_consumer.hpp>
#include <caf/detail/parser/read_ini.hpp>
#include <caf/parser_state.hpp>
#include <caf/settings.hpp>

#include "config/settings_loader.hpp"
#include "config/secret_mask.hpp"
#include "config/value_parsers.hpp"

namespace svc::config_detail {
namespace {

caf::string_view caf_view(std::string_view s) {
  return caf::string_view{s.data(), s.size()};
}

std::string to_std(caf::string_view s) {
  return std::string{s.data(), s.size()};
}

std::string real_text(double v) {
  char buf[64];
  auto end = std::to_chars(buf, buf + sizeof buf, v).ptr;
  std::string out{buf, end};
  // "8.0" must stay visibly fractional, or `port = 8.0` would pass as 8.
  if (out.find_first_of(".eEn") == std::string::npos)
    out += ".0";
  return out;
}

// A timespan in its largest exact unit ("1500ms", not "1500000000ns"), so that
// an error about it reads like the file.
std::string timespan_text(caf::timespan t) {
  using namespace std::chrono;
  static const std::pair<nanoseconds, const char*> units[] = {
    {hours{1}, "h"}, {minutes{1}, "min"}, {seconds{1}, "s"}, {milliseconds{1}, "ms"}, {microseconds{1}, "us"}};
  auto ns = duration_cast<nanoseconds>(t);
  for (const auto& [length, suffix] : units)
    if (ns.count() != 0 && ns % length == nanoseconds::zero())
      return std::to_string(ns / length) + suffix;
  return std::to_string(ns.count()) + "ns";
}

// A scalar INI value as the text an environment variable would hold: integers
// and strings as written, timespans with their unit (our duration parser reads
// them), 8.5 as "8.5" (which no integer option accepts).
std::optional<std::string> scalar_text(const caf::config_value& value) {
  const auto& data = value.get_data();
  if (auto x = caf::get_if<caf::config_value::integer>(&data))
    return std::to_string(*x);
  if (auto x = caf::get_if<caf::config_value::boolean>(&data))
    return std::string{*x ? "true" : "false"};
  if (auto x = caf::get_if<caf::config_value::real>(&data))
    return real_text(*x);
  if (auto x = caf::get_if<caf::config_value::atom>(&data))
    return caf::to_string(*x);
  if (auto x = caf::get_if<caf::config_value::timespan>(&data))
    return timespan_text(*x);
  if (auto x = caf::get_if<caf::uri>(&data))
    return caf::to_string(*x);
  if (auto x = caf::get_if<caf::config_value::string>(&data))
    return *x;
  return std::nullopt;
}

// Lists (for the CORS origins) become the comma list the environment uses.
std::optional<std::string> value_text(const caf::config_value& value) {
  auto list = caf::get_if<caf::config_value::list>(&value.get_data());
  if (!list)
    return scalar_text(value);
  std::string out;
  for (const auto& item : *list) {
    auto text = scalar_text(item);
    if (!text)
      return std::nullopt;
    out += (out.empty() ? "" : ",") + *text;
  }
  return out;
}

bool is_key_name(std::string_view s) {
  if (s.empty())
    return false;
  for (char c : s)
    if (!(isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.'))
      return false;
  return true;
}

std::string_view nth_line(std::string_view text, int n) {
  for (; n > 1 && !text.empty(); --n) {
    auto nl = text.find('\n');
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
  }
  return text.substr(0, text.find('\n'));
}

// CAF keeps the first of two values for one key without a word; we refuse.
// A line scan suffices: "[group]" headers and "key =" at the start of a line.
std::optional<std::string> find_duplicate_key(std::string_view content) {
  std::map<std::pair<std::string, std::string>, int> seen;
  std::string group;
  int line_no = 0;
  while (!content.empty()) {
    ++line_no;
    auto nl = content.find('\n');
    auto line = trim(content.substr(0, nl));
    content.remove_prefix(nl == std::string_view::npos ? content.size() : nl + 1);
    if (line.empty() || line.front() == ';')
      continue;
    if (line.front() == '[') {
      auto name = trim(line.substr(1, line.find(']') - 1));
      if (line.find(']') != std::string_view::npos && is_key_name(name))
        group = name;
      continue;
    }
    auto eq = line.find('=');
    auto key = trim(line.substr(0, eq));
    if (eq == std::string_view::npos || !is_key_name(key))
      continue;  // the continuation of a multi-line list or map
    auto [it, inserted] = seen.emplace(std::pair{group, std::string{key}}, line_no);
    if (!inserted)
      return "key \"" + std::string{key} + "\" of [" + group + "] is set twice (lines " +
             std::to_string(it->second) + " and " + std::to_string(line_no) + ")";
  }
  return std::nullopt;
}

// `text` with control characters as \xHH: CAF's to_string() writes a string's
// CR or LF as it is, which would split an error line (found by fuzz_config_loader).
std::string escape_controls(std::string_view text) {
  std::string out;
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      static constexpr char hex[] = "0123456789abcdef";
      out += "\\x";
      out += hex[u >> 4];
      out += hex[u & 0xf];
    } else {
      out += c;
    }
  }
  return out;
}

// CAF turns an integer with a unit ("30s") into nanoseconds without an overflow
// check: "9300000000s" is undefined behaviour, in practice another, wrong
// duration (found by fuzz_config_loader). Returns the line of the first such
// value outside strings, atoms and comments; integers are read as CAF reads
// them (0x.. hex, 0b.. binary, 0.. octal).
std::optional<int> find_timespan_overflow(std::string_view text) {
  static constexpr std::pair<std::string_view, std::int64_t> units[] = {
    {"us", 1'000}, {"ms", 1'000'000}, {"min", 60'000'000'000}, {"s", 1'000'000'000}, {"h", 3'600'000'000'000}};
  auto digit_value = [](char c) -> unsigned {
    if (c >= '0' && c <= '9')
      return static_cast<unsigned>(c - '0');
    if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
      return static_cast<unsigned>((c | 0x20) - 'a' + 10);
    return 99;
  };
  int line = 1;
  char quote = 0;  // inside a string ("), an atom (') or a comment (;)
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\n') {
      ++line;
      quote = 0;
    } else if (quote) {
      if (quote == '"' && c == '\\')
        ++i;  // an escaped character
      else if (c == quote)
        quote = 0;
    } else if (c == '"' || c == '\'' || c == ';') {
      quote = c;
    } else if (digit_value(c) < 10 && (i == 0 || !(isalnum(static_cast<unsigned char>(text[i - 1])) ||
                                                   text[i - 1] == '_' || text[i - 1] == '.'))) {
      unsigned base = 10;
      auto next = i + 1 < text.size() ? text[i + 1] | 0x20 : 0;
      if (c == '0')
        base = next == 'x' ? 16 : next == 'b' ? 2 : 8;
      if (base == 16 || base == 2)
        i += 2;
      std::uint64_t value = 0;
      bool huge = false;
      for (; i < text.size() && digit_value(text[i]) < base; ++i) {
        huge = huge || value > (UINT64_MAX - digit_value(text[i])) / base;
        value = value * base + digit_value(text[i]);
      }
      for (const auto& [suffix, ns] : units)
        if (text.substr(i, suffix.size()) == suffix && (huge || value > static_cast<std::uint64_t>(INT64_MAX / ns)))
          return line;
      --i;  // the loop's ++i: look at what ended the number again
    }
  }
  return std::nullopt;
}

}  // namespace

ini_parse_result parse_ini(std::string_view content) {
  ini_parse_result result;
  // CAF's parser ends the last value only at a newline: "port = 80a81" as the
  // very last bytes would otherwise read as 80.
  std::string text{content};
  text += '\n';
  if (auto line = find_timespan_overflow(content)) {
    auto source_line = std::string{trim(nth_line(content, *line))};
    result.error = "line " + std::to_string(*line) + " (" + quote_value(mask_secrets(source_line)) +
                   "): duration out of range";
    return result;
  }
  caf::config_option_set no_options;  // no typed options: we check every value ourselves
  caf::settings parsed;
  caf::detail::ini_consumer consumer{no_options, parsed};
  caf::parser_state<std::string::const_iterator> ps{text.cbegin(), text.cend()};
  caf::detail::parser::read_ini(ps, consumer);
  // actor_system_config::parse_config checks only `i != e`, so a file cut off
  // inside a list, map or string "succeeds" with nothing in it; the code tells.
  if (ps.code != caf::pec::success) {
    if (ps.code == caf::pec::unexpected_eof) {
      result.error = "unexpected end of file (an unclosed list, map or string?)";
      return result;
    }
    auto line = ps.line;
    if (ps.current() == '\n' && line > 1)
      --line;  // CAF counts the newline ending line N as line N+1
    auto what = caf::to_string(ps.code);
    std::replace(what.begin(), what.end(), '_', ' ');
    if (ps.code == caf::pec::unexpected_newline)
      what = "unexpected end of line (a malformed value?)";
    auto source_line = std::string{trim(nth_line(content, line))};
    result.error = "line " + std::to_string(line) + " (" + quote_value(mask_secrets(source_line)) + "): " + what;
    return result;
  }
  if (auto dup = find_duplicate_key(content)) {
    result.error = *dup;
    return result;
  }
  for (const auto& [name, value] : parsed) {
    auto group = caf::get_if<caf::config_value::dictionary>(&value.get_data());
    if (!group) {
      result.error = "key \"" + name + "\" is outside any [group]";
      return result;
    }
    for (const auto& [key, item] : *group) {
      ini_entry entry{name, key, {}, caf::to_string(item), true,
                      caf::holds_alternative<caf::config_value::list>(item)};
      if (auto text = value_text(item))
        entry.text = std::move(*text);
      else
        entry.convertible = false;
      result.entries.push_back(std::move(entry));
    }
  }
  return result;
}

// A default CAF configuration, only to read CAF's option declarations.
struct caf_option_catalog::impl : caf::actor_system_config {
  const caf::config_option* lookup(std::string_view group, std::string_view key) const {
    return custom_options_.qualified_name_lookup(caf_view(group), caf_view(key));
  }
  std::vector<std::string> groups() const {
    std::set<std::string> names;
    for (const auto& option : custom_options_)
      if (option.category() != "global")
        names.emplace(option.category().data(), option.category().size());
    return {names.begin(), names.end()};
  }
};

caf_option_catalog::caf_option_catalog() : impl_(std::make_unique<impl>()) {
}

caf_option_catalog::~caf_option_catalog() = default;

bool caf_option_catalog::is_caf_group(std::string_view group) const {
  auto names = impl_->groups();
  return std::find(names.begin(), names.end(), group) != names.end();
}

bool caf_option_catalog::knows(std::string_view group, std::string_view key) const {
  return impl_->lookup(group, key) != nullptr;
}

std::optional<std::string> caf_option_catalog::check_ini_value(std::string_view group, std::string_view key,
                                                               std::string_view caf_value,
                                                               std::string& why) const {
  auto option = impl_->lookup(group, key);
  auto value = caf::config_value::parse(caf_view(caf_value));
  if (!option || !value || option->check(*value)) {
    why = escape_controls(caf_value) + " is not of the type CAF expects" +
          (option ? " (" + to_std(option->type_name()) + ")" : std::string{});
    return std::nullopt;
  }
  return caf::to_string(*value);
}

std::optional<std::string> caf_option_catalog::parse_flag_value(std::string_view group, std::string_view key,
                                                                std::string_view text, std::string& why) const {
  auto option = impl_->lookup(group, key);
  if (option && find_timespan_overflow(text)) {
    why = quote_value(text) + " is out of range";
    return std::nullopt;
  }
  auto value = option ? option->parse(caf_view(text)) : caf::expected<caf::config_value>{caf::sec::invalid_argument};
  if (!value) {
    why = quote_value(text) + " is not of the type CAF expects" +
          (option ? " (" + to_std(option->type_name()) + ")" : std::string{});
    return std::nullopt;
  }
  return caf::to_string(*value);
}

std::vector<std::string> caf_option_catalog::groups() const {
  return impl_->groups();
}

}  // namespace svc::config_detail

namespace svc {

void apply_to_caf_config(const settings& s, caf::actor_system_config& cfg) {
  // The services' own default, below any file, environment or flag: an idle
  // scheduler thread goes from its short spin straight to waiting on its
  // condition variable. CAF's default first sleeps 50 us at a time, 500 times:
  // a system call and a context switch each, about five per request under load,
  // taken from the CPU that PostgreSQL and the clients need (docs/PERFORMANCE.md).
  cfg.set("work-stealing.moderate-poll-attempts", caf::config_value::integer{0});
  // CAF's own default is unbounded: one actor with a long mailbox would hold its
  // I/O thread, and every connection on it, until the mailbox is empty.
  cfg.set("scheduler.max-throughput", caf::config_value::integer{100});
  if (s.scheduler_max_threads > 0)
    cfg.set("scheduler.max-threads", static_cast<caf::config_value::integer>(s.scheduler_max_threads));
  // Every entry was type-checked against CAF's declaration while loading.
  for (const auto& [name, value] : s.caf_passthrough)
    if (auto parsed = caf::config_value::parse(caf::string_view{value.data(), value.size()}))
      cfg.set(caf::string_view{name.data(), name.size()}, std::move(*parsed));
}

}  // namespace svc
