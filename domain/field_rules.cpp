#include "domain/field_rules.hpp"

#include <charconv>
#include <set>

#include <nlohmann/json.hpp>

#include "domain/visible_text.hpp"

namespace svc {
namespace {

// Deep nesting is never legitimate in this API and only costs memory and time.
constexpr int max_json_depth = 32;

std::string join(const std::vector<std::string_view>& items) {
  std::string out;
  for (auto item : items) {
    if (!out.empty())
      out += ", ";
    out += item;
  }
  return out;
}

// body[name] when it is there and not null; otherwise end(), with an error if required.
nlohmann::json::const_iterator present_field(const nlohmann::json& body, const char* name,
                                             bool required, field_errors& errors) {
  auto it = body.find(name);
  if (it != body.end() && !it->is_null())
    return it;
  if (required)
    errors.push_back({name, "is required"});
  return body.end();
}

}  // namespace

std::string trim(std::string_view s) {
  auto is_space = [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
  };
  while (!s.empty() && is_space(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && is_space(s.back()))
    s.remove_suffix(1);
  return std::string{s};
}

std::size_t utf8_length(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80)
      ++n;
  return n;
}

bool is_valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t len = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (c < 0x80) {
      ++i;
      continue;
    }
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0)
        lo = 0xA0;  // overlong
      if (c == 0xED)
        hi = 0x9F;  // surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0)
        lo = 0x90;  // overlong
      if (c == 0xF4)
        hi = 0x8F;  // above U+10FFFF
    } else {
      return false;
    }
    if (s.size() - i < len)
      return false;
    for (std::size_t k = 1; k < len; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      if (k == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xBF))
        return false;
    }
    i += len;
  }
  return true;
}

bool has_control_chars(std::string_view s) {
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7F)
      return true;
  return false;
}

std::optional<std::string> string_field(const nlohmann::json& body, const char* name,
                                        std::size_t min, std::size_t max, bool required,
                                        field_errors& errors) {
  auto it = present_field(body, name, required, errors);
  if (it == body.end())
    return std::nullopt;
  if (!it->is_string()) {
    errors.push_back({name, "must be a string"});
    return std::nullopt;
  }
  auto value = trim_blank(it->get_ref<const std::string&>());
  // The minimum counts what a reader sees (a name of two no-break spaces and a
  // zero-width space is blank); the maximum counts what is stored.
  if (visible_length(value) < min || utf8_length(value) > max) {
    errors.push_back({name, "must be between " + std::to_string(min) + " and " +
                              std::to_string(max) + " visible characters"});
    return std::nullopt;
  }
  if (has_control_or_bidi(value)) {
    errors.push_back({name, "must not contain control characters"});
    return std::nullopt;
  }
  return value;
}

std::optional<std::int64_t> integer_field(const nlohmann::json& body, const char* name,
                                          std::int64_t min, std::int64_t max, bool required,
                                          field_errors& errors) {
  auto it = present_field(body, name, required, errors);
  if (it == body.end())
    return std::nullopt;
  // JSON integers arrive as signed or unsigned; floats, booleans and strings never pass.
  std::optional<std::int64_t> value;
  if (it->is_number_unsigned()) {
    if (auto v = it->get<std::uint64_t>(); v <= static_cast<std::uint64_t>(INT64_MAX))
      value = static_cast<std::int64_t>(v);
  } else if (it->is_number_integer()) {
    value = it->get<std::int64_t>();
  }
  if (!value || *value < min || *value > max) {
    errors.push_back(
      {name, "must be an integer between " + std::to_string(min) + " and " + std::to_string(max)});
    return std::nullopt;
  }
  return value;
}

std::optional<std::string> enum_field(const nlohmann::json& body, const char* name,
                                      const std::vector<std::string_view>& allowed,
                                      field_errors& errors) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null())
    return std::nullopt;
  if (it->is_string()) {
    const auto& s = it->get_ref<const std::string&>();
    for (auto a : allowed)
      if (s == a)
        return s;
  }
  errors.push_back({name, "must be one of: " + join(allowed)});
  return std::nullopt;
}

std::optional<std::int64_t> parse_int64(std::string_view text) {
  if (text.empty())
    return std::nullopt;
  if (text.front() == '+')
    text.remove_prefix(1);
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size())
    return std::nullopt;
  return value;
}

std::optional<nlohmann::json> parse_json_object(std::string_view body, json_problem& problem) {
  problem = {};
  // nlohmann's lexer takes a NUL byte for the end of the input, so "{...}\0junk"
  // would parse; a raw NUL is never valid anywhere in JSON text.
  if (body.find('\0') != std::string_view::npos) {
    problem.message = "malformed JSON";
    return std::nullopt;
  }
  bool too_deep = false;
  std::optional<std::string>
    duplicate;                // the first member name seen twice in one object ("" is a name)
  std::string top_level_key;  // the member being parsed, for a number out of range
  std::vector<std::set<std::string>> open_objects;
  auto watch = [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
    using event_t = nlohmann::json::parse_event_t;
    if (depth > max_json_depth)
      too_deep = true;
    if (event == event_t::object_start) {
      open_objects.emplace_back();
    } else if (event == event_t::object_end) {
      if (!open_objects.empty())
        open_objects.pop_back();
    } else if (event == event_t::key && !open_objects.empty()) {
      // I-JSON (RFC 7493): a repeated name is refused, since parsers disagree on
      // which one counts (nlohmann keeps the last, many validators the first).
      const auto& name = parsed.get_ref<const std::string&>();
      if (!open_objects.back().insert(name).second && !duplicate)
        duplicate = name;
      if (depth == 1)
        top_level_key = name;
    }
    return !too_deep;
  };
  nlohmann::json parsed;
  try {
    parsed = nlohmann::json::parse(body.begin(), body.end(), watch);
  } catch (const nlohmann::json::out_of_range&) {
    // A number beyond double's range (1e400): well-formed JSON, a bad value of
    // one member, so it is that field's error rather than "malformed JSON".
    problem.message = "number out of range";
    problem.field = top_level_key;
    return std::nullopt;
  } catch (const nlohmann::json::exception&) {
    problem.message = too_deep ? "JSON nested too deeply" : "malformed JSON";
    return std::nullopt;
  }
  if (too_deep) {
    problem.message = "JSON nested too deeply";
    return std::nullopt;
  }
  if (parsed.is_discarded()) {
    problem.message = "malformed JSON";
    return std::nullopt;
  }
  if (!parsed.is_object()) {
    problem.message = "request body must be a JSON object";
    return std::nullopt;
  }
  if (duplicate) {
    problem.message = "JSON member name \"" + *duplicate + "\" appears more than once";
    return std::nullopt;
  }
  return parsed;
}

}  // namespace svc
