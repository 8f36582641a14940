#include "domain/money.hpp"

#include <charconv>
#include <limits>

#include <nlohmann/json.hpp>

namespace svc {
namespace {

// Records the text of numbers at depth 1 and ignores everything else.
struct number_collector : nlohmann::json_sax<nlohmann::json> {
  std::map<std::string, std::string> numbers;
  std::string current_key;
  int depth = 0;

  void record(const std::string& text) {
    if (depth == 1)
      numbers[current_key] = text;
  }
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t v) override {
    record(std::to_string(v));
    return true;
  }
  bool number_unsigned(number_unsigned_t v) override {
    record(std::to_string(v));
    return true;
  }
  bool number_float(number_float_t, const string_t& s) override {
    record(s);
    return true;
  }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override {
    ++depth;
    return true;
  }
  bool key(string_t& k) override {
    current_key = k;
    return true;
  }
  bool end_object() override {
    --depth;
    return true;
  }
  bool start_array(std::size_t) override {
    ++depth;
    return true;
  }
  bool end_array() override {
    --depth;
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    return false;
  }
};

}  // namespace

std::optional<std::int64_t> parse_cents(std::string_view text) {
  constexpr auto limit = std::numeric_limits<std::int64_t>::max() / 10;
  if (text.empty() || text.front() == '-')
    return std::nullopt;
  std::int64_t digits = 0;  // all mantissa digits as one integer
  int decimals = 0;         // how many of them follow the point
  bool seen_point = false, seen_digit = false;
  std::size_t i = 0;
  for (; i < text.size(); ++i) {
    char c = text[i];
    if (c == '.' && !seen_point) {
      seen_point = true;
    } else if (c >= '0' && c <= '9') {
      // Not just `digits > limit`: 922337203685477580 * 10 + 8 overflows too.
      if (digits > (std::numeric_limits<std::int64_t>::max() - (c - '0')) / 10)
        return std::nullopt;
      digits = digits * 10 + (c - '0');
      decimals += seen_point ? 1 : 0;
      seen_digit = true;
    } else {
      break;
    }
  }
  if (!seen_digit)
    return std::nullopt;
  int exponent = 0;
  if (i < text.size()) {
    if (text[i] != 'e' && text[i] != 'E')
      return std::nullopt;
    std::string_view exp = text.substr(i + 1);
    if (!exp.empty() && exp.front() == '+')
      exp.remove_prefix(1);
    auto [end, ec] = std::from_chars(exp.data(), exp.data() + exp.size(), exponent);
    if (ec != std::errc{} || end != exp.data() + exp.size() || exponent > 30 || exponent < -30)
      return std::nullopt;
  }
  // value = digits * 10^(exponent - decimals); cents = value * 100.
  int scale = exponent - decimals + 2;
  for (; scale < 0; ++scale) {
    if (digits % 10 != 0)
      return std::nullopt;  // a third significant decimal
    digits /= 10;
  }
  for (; scale > 0; --scale) {
    if (digits > limit)
      return std::nullopt;
    digits *= 10;
  }
  return digits;
}

std::string format_cents(std::int64_t cents) {
  auto units = std::to_string(cents / 100);
  auto rest = cents % 100;
  return units + (rest < 10 ? ".0" : ".") + std::to_string(rest);
}

double cents_to_json_number(std::int64_t cents) {
  return static_cast<double>(cents) / 100.0;
}

std::map<std::string, std::string> top_level_number_texts(std::string_view json_text) {
  number_collector collector;
  nlohmann::json::sax_parse(json_text.begin(), json_text.end(), &collector,
                            nlohmann::json::input_format_t::json, false);
  return std::move(collector.numbers);
}

}  // namespace svc
