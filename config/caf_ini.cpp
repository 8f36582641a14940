// Config files through CAF's own INI parser, read_ini(), with a consumer of our
// own in place of CAF's ini_consumer. Why not actor_system_config::parse() or
// CAF's ini_consumer alone: in CAF 0.17 they
//  - drop a value of the wrong type for a declared option, without a word (we
//    declare none there, and check every value ourselves: config/option_table.cpp);
//  - keep the first of two values for one key, without a word;
//  - turn "9300000000s" into nanoseconds unchecked (read_timespan multiplies
//    without an overflow check: undefined behaviour, in practice a wrong duration);
//  - report a file cut off inside a list, map or string only through the
//    parser's code, which parse_config() does not look at.
// Our consumer builds the same caf::config_value dictionary as CAF's and sees
// each key as the parser reads it, with the parser's line (keys given twice,
// keys outside a group). Overflowing durations need a scan of the text before
// the parser runs (find_timespan_overflow). That is all this file adds, besides
// turning values into the text our options take.
#include "config/caf_ini.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <map>

#include <caf/config_value.hpp>
#include <caf/detail/parser/read_ini.hpp>
#include <caf/parser_state.hpp>

#include "config/secret_mask.hpp"
#include "config/value_parsers.hpp"

namespace svc::config_detail {
namespace {

using state = caf::parser_state<std::string::const_iterator>;

std::string_view nth_line(std::string_view text, int n) {
  for (; n > 1 && !text.empty(); --n) {
    auto nl = text.find('\n');
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
  }
  return text.substr(0, text.find('\n'));
}

// "line 3 (\"port = 80a81\"): <what>", the line's secrets masked.
std::string line_error(std::string_view content, int line, const std::string& what) {
  auto source_line = std::string{trim(nth_line(content, line))};
  return "line " + std::to_string(line) + " (" + quote_value(mask_secrets(source_line)) +
         "): " + what;
}

// CAF counts the newline ending line N as line N+1.
int line_of(const state& ps) {
  return ps.i != ps.e && *ps.i == '\n' && ps.line > 1 ? ps.line - 1 : ps.line;
}

// What read_ini() calls: key(), value(), begin_map() / end_map() and begin_list()
// / end_list(), nested. One stack of open maps and lists serves every level.
class consumer {
public:
  explicit consumer(const state& ps) : ps_(ps) {
    frames_.push_back({caf::config_value{caf::config_value::dictionary{}}, {}});
  }

  void key(std::string name) {
    auto& top = frames_.back();
    top.key = std::move(name);
    if (frames_.size() < 2 || in_list())
      return;
    if (frames_.front().key == "global") {  // CAF's name for what precedes the first [group]
      note(structure_, "key \"" + top.key + "\" is outside any [group]");
      return;
    }
    std::string group;
    for (std::size_t i = 0; i + 1 < frames_.size(); ++i)
      group += (i ? "." : "") + frames_[i].key;
    auto [it, inserted] = lines_.emplace(group + "\n" + top.key, ps_.line);
    if (!inserted)
      note(structure_, "key \"" + top.key + "\" of [" + group + "] is set twice (lines " +
                         std::to_string(it->second) + " and " + std::to_string(ps_.line) + ")");
  }

  consumer& begin_map() {
    frames_.push_back({caf::config_value{caf::config_value::dictionary{}}, {}});
    return *this;
  }

  consumer& begin_list() {
    frames_.push_back({caf::config_value{caf::config_value::list{}}, {}});
    return *this;
  }

  void end_map() { close(); }

  void end_list() { close(); }

  template <class T>
  void value(T&& x) {
    add(caf::config_value{std::forward<T>(x)});
  }

  // The whole file, once the parser is done: [group] -> {key -> value}.
  const caf::config_value::dictionary& groups() const {
    return caf::get<caf::config_value::dictionary>(frames_.front().value.get_data());
  }

  std::string structure_;  // the first key given twice or outside any group

private:
  // NOLINTNEXTLINE(bugprone-exception-escape): caf::config_value's moves may throw (bad_alloc)
  struct frame {
    caf::config_value value;  // a dictionary or a list
    std::string key;          // in a dictionary: the key of the value read next
  };

  bool in_list() const {
    return std::any_of(frames_.begin(), frames_.end(), [](const frame& f) {
      return caf::holds_alternative<caf::config_value::list>(f.value.get_data());
    });
  }

  static void note(std::string& slot, std::string text) {
    if (slot.empty())
      slot = std::move(text);
  }

  void add(caf::config_value x) {
    auto& top = frames_.back();
    if (auto list = caf::get_if<caf::config_value::list>(&top.value.get_data())) {
      list->push_back(std::move(x));
      return;
    }
    auto& dict = caf::get<caf::config_value::dictionary>(top.value.get_data());
    auto it = dict.find(top.key);
    if (it == dict.end()) {
      dict.emplace(top.key, std::move(x));
      return;
    }
    // A [group] met again continues it; anything else keeps the first value (the key check said so).
    auto old_map = caf::get_if<caf::config_value::dictionary>(&it->second.get_data());
    auto new_map = caf::get_if<caf::config_value::dictionary>(&x.get_data());
    if (old_map && new_map)
      for (auto& [key, value] : *new_map)
        old_map->emplace(key, std::move(value));
  }

  void close() {
    auto done = std::move(frames_.back().value);
    frames_.pop_back();
    add(std::move(done));
  }

  const state& ps_;
  std::vector<frame> frames_;
  std::map<std::string, int> lines_;  // "group\nkey" -> the line that set it
};

// The line of the first integer with a unit that CAF's parser would overflow,
// outside strings, atoms and comments. This must run before the parser: the
// overflow is undefined behaviour inside CAF's read_timespan (seconds(n)
// converted to nanoseconds), before any consumer sees the value.
std::optional<int> find_timespan_overflow(std::string_view text) {
  auto word_char = [](char c) {
    return isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.';
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
    } else if (isdigit(static_cast<unsigned char>(c)) && (i == 0 || !word_char(text[i - 1])) &&
               timespan_out_of_range(text.substr(i))) {
      return line;
    }
  }
  return std::nullopt;
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
  static const std::pair<nanoseconds, const char*> units[] = {{hours{1}, "h"},
                                                              {minutes{1}, "min"},
                                                              {seconds{1}, "s"},
                                                              {milliseconds{1}, "ms"},
                                                              {microseconds{1}, "us"}};
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

}  // namespace

bool timespan_out_of_range(std::string_view token) {
  static constexpr std::pair<std::string_view, std::int64_t> units[] = {{"ns", 1},
                                                                        {"us", 1'000},
                                                                        {"ms", 1'000'000},
                                                                        {"min", 60'000'000'000},
                                                                        {"s", 1'000'000'000},
                                                                        {"h", 3'600'000'000'000}};
  if (!token.empty() && (token.front() == '-' || token.front() == '+'))
    token.remove_prefix(1);
  int base = 10;  // as CAF reads integers: 0x.. hex, 0b.. binary, 0.. octal
  if (token.size() > 1 && token[0] == '0') {
    auto marker = token[1] | 0x20;
    base = marker == 'x' ? 16 : marker == 'b' ? 2 : 8;
    token.remove_prefix(base == 8 ? 1 : 2);
  }
  std::uint64_t count = 0;
  auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), count, base);
  auto suffix = token.substr(static_cast<std::size_t>(end - token.data()));
  for (const auto& [name, ns] : units)  // CAF's parser ends the value after the unit
    if (suffix.substr(0, name.size()) == name)
      return ec == std::errc::result_out_of_range ||
             count > static_cast<std::uint64_t>(INT64_MAX / ns);
  return false;
}

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

ini_parse_result parse_ini(std::string_view content) {
  ini_parse_result result;
  // CAF's parser ends the last value only at a newline: "port = 80a81" as the
  // very last bytes would otherwise read as 80.
  std::string text{content};
  text += '\n';
  if (auto line = find_timespan_overflow(content)) {
    result.error = line_error(content, *line, "duration out of range");
    return result;
  }
  state ps{text.cbegin(), text.cend()};
  consumer c{ps};
  caf::detail::parser::read_ini(ps, c);
  if (ps.code != caf::pec::success) {
    if (ps.code == caf::pec::unexpected_eof) {
      result.error = "unexpected end of file (an unclosed list, map or string?)";
      return result;
    }
    auto what = caf::to_string(ps.code);
    std::replace(what.begin(), what.end(), '_', ' ');
    if (ps.code == caf::pec::unexpected_newline)
      what = "unexpected end of line (a malformed value?)";
    result.error = line_error(content, line_of(ps), what);
    return result;
  }
  if (!c.structure_.empty()) {
    result.error = c.structure_;
    return result;
  }
  for (const auto& [name, value] : c.groups()) {
    auto group = caf::get_if<caf::config_value::dictionary>(&value.get_data());
    if (!group) {
      result.error = "key \"" + name + "\" is outside any [group]";
      return result;
    }
    for (const auto& [key, item] : *group) {
      ini_entry entry{name, key,
                      {},   caf::to_string(item),
                      true, caf::holds_alternative<caf::config_value::list>(item)};
      if (auto text = value_text(item))
        entry.text = std::move(*text);
      else
        entry.convertible = false;
      result.entries.push_back(std::move(entry));
    }
  }
  return result;
}

}  // namespace svc::config_detail
