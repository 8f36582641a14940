#include "config/dotenv.hpp"

#include <optional>

#include "config/value_parsers.hpp"

namespace svc::config_detail {
namespace {

bool is_name_start(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

bool is_name_char(char c) {
  return is_name_start(c) || (c >= '0' && c <= '9');
}

bool is_env_name(std::string_view s) {
  if (s.empty() || !is_name_start(s.front()))
    return false;
  for (char c : s)
    if (!is_name_char(c))
      return false;
  return true;
}

// After a closing quote only blanks or a comment may follow.
bool only_comment_left(std::string_view rest) {
  rest = trim(rest);
  return rest.empty() || rest.front() == '#';
}

// The value part of a line (after '='); nullopt with `why` set when malformed.
std::optional<std::string> parse_value(std::string_view raw, std::string& why) {
  raw = trim(raw);
  if (raw.empty())
    return std::string{};
  if (raw.front() == '\'') {
    auto close = raw.find('\'', 1);
    if (close == std::string_view::npos) {
      why = "unterminated single quote";
      return std::nullopt;
    }
    if (!only_comment_left(raw.substr(close + 1))) {
      why = "unexpected text after the closing quote";
      return std::nullopt;
    }
    return std::string{raw.substr(1, close - 1)};
  }
  if (raw.front() == '"') {
    std::string out;
    for (std::size_t i = 1; i < raw.size(); ++i) {
      char c = raw[i];
      if (c == '"') {
        if (!only_comment_left(raw.substr(i + 1))) {
          why = "unexpected text after the closing quote";
          return std::nullopt;
        }
        return out;
      }
      if (c == '\\' && i + 1 < raw.size()) {
        char next = raw[++i];
        switch (next) {
          case 'n': out += '\n'; break;
          case 't': out += '\t'; break;
          case '"': out += '"'; break;
          case '\\': out += '\\'; break;
          default: out += '\\'; out += next;  // unknown escapes stay as written
        }
        continue;
      }
      out += c;
    }
    why = "unterminated double quote";
    return std::nullopt;
  }
  // Unquoted: a '#' after a blank starts a comment ("a#b" keeps its '#').
  for (std::size_t i = 1; i < raw.size(); ++i)
    if (raw[i] == '#' && (raw[i - 1] == ' ' || raw[i - 1] == '\t'))
      return std::string{trim(raw.substr(0, i))};
  return std::string{raw};
}

}  // namespace

dotenv_result parse_dotenv(std::string_view content) {
  dotenv_result result;
  int line_no = 0;
  while (!content.empty()) {
    ++line_no;
    auto newline = content.find('\n');
    auto line = trim(content.substr(0, newline));
    content.remove_prefix(newline == std::string_view::npos ? content.size() : newline + 1);
    if (line.empty() || line.front() == '#')
      continue;
    if (line.substr(0, 7) == "export " || line.substr(0, 7) == "export\t")
      line = trim(line.substr(7));
    auto eq = line.find('=');
    auto key = trim(line.substr(0, eq));
    if (eq == std::string_view::npos || !is_env_name(key)) {
      result.error = "line " + std::to_string(line_no) + ": expected KEY=VALUE";
      return result;
    }
    std::string why;
    auto value = parse_value(line.substr(eq + 1), why);
    if (!value) {
      result.error = "line " + std::to_string(line_no) + ": " + why;
      return result;
    }
    result.values[std::string{key}] = dotenv_value{std::move(*value), line_no};
  }
  return result;
}

}  // namespace svc::config_detail
