// How each kind of option reads its text into its field and shows it again;
// the rows themselves are in config/option_rows.cpp.
#include "config/option_table.hpp"

#include <algorithm>
#include <cstdio>

#include "config/redis_url.hpp"
#include "config/secret_mask.hpp"
#include "config/value_parsers.hpp"
#include "http/client_address.hpp"

namespace svc::config_detail {
namespace {

using namespace std::chrono;
using reason = std::optional<std::string>;

std::string range_text(std::int64_t min, std::int64_t max) {
  if (max == unbounded)
    return "an integer >= " + std::to_string(min);
  return "an integer from " + std::to_string(min) + " to " + std::to_string(max);
}

// Renders a duration the way an operator would write it back.
std::string duration_text(nanoseconds d, nanoseconds bare_unit) {
  if (bare_unit == seconds{1} && d % seconds{1} == nanoseconds::zero())
    return std::to_string(duration_cast<seconds>(d).count()) + "s";
  if (d % milliseconds{1} == nanoseconds::zero())
    return std::to_string(duration_cast<milliseconds>(d).count()) + "ms";
  return std::to_string(d.count()) + "ns";
}

std::string real_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items)
    out += (out.empty() ? "" : ",") + item;
  return out;
}

bool same_name(std::string_view a, std::string_view b, bool any_case) {
  auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
  if (!any_case)
    return a == b;
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [&](char x, char y) { return lower(x) == lower(y); });
}

// The option's string field (text, host, the URLs).
std::string& string_field(const option_spec& o, settings& s) {
  return s.*std::get<std::string settings::*>(o.field);
}

const std::string& string_field(const option_spec& o, const settings& s) {
  return s.*std::get<std::string settings::*>(o.field);
}

reason assign_integer(const option_spec& o, std::string_view text, settings& s) {
  auto v = parse_integer(text, o.min, o.max);
  if (!v)
    return quote_value(text) + " is not " +
           (o.what.empty() ? range_text(o.min, o.max) : std::string{o.what});
  std::visit(
    [&](auto member) {
      using T = std::remove_reference_t<decltype(s.*member)>;
      if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>)
        s.*member = static_cast<T>(*v);
    },
    o.field);
  return std::nullopt;
}

// `D`, the field's precision: a value finer than it is refused, not rounded, so
// "1500ms" never quietly becomes 1s.
reason assign_duration(const option_spec& o, std::string_view text, settings& s) {
  const bool in_seconds = std::holds_alternative<seconds settings::*>(o.field);
  const std::string what = !o.what.empty()
                             ? std::string{o.what}
                             : "a duration > 0 (e.g. 30s, 500ms; a bare number counts " +
                                 std::string{o.unit == seconds{1} ? "seconds" : "milliseconds"} +
                                 ")";
  auto v = parse_duration(text, o.unit);
  if (!v || v->count() < o.min || v->count() > o.max)
    return quote_value(text) + " is not " + what;
  if (*v % (in_seconds ? nanoseconds{seconds{1}} : nanoseconds{milliseconds{1}}) !=
      nanoseconds::zero())
    return quote_value(text) + " is not " +
           (!o.what.empty()
              ? what
              : std::string{"a whole number of "} + (in_seconds ? "seconds" : "milliseconds"));
  if (in_seconds)
    s.*std::get<seconds settings::*>(o.field) = duration_cast<seconds>(*v);
  else
    s.*std::get<milliseconds settings::*>(o.field) = duration_cast<milliseconds>(*v);
  return std::nullopt;
}

// Free text (a path, an issuer): anything printable, empty for none. A control
// character is refused: it would only be a typo, and would break a log line.
reason assign_text(const option_spec& o, std::string_view text, settings& s) {
  for (char c : text)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      return quote_value(text) + " is not " + std::string{o.what} +
             " (it holds a control character)";
  string_field(o, s) = text;
  return std::nullopt;
}

reason assign_choice(const option_spec& o, std::string_view text, settings& s) {
  for (std::size_t i = 0; i < o.choices.size(); ++i)
    if (same_name(text, o.choices[i], o.any_case)) {
      std::visit(
        [&](auto member) {
          using T = std::remove_reference_t<decltype(s.*member)>;
          if constexpr (std::is_enum_v<T>)
            s.*member = static_cast<T>(i);
        },
        o.field);
      return std::nullopt;
    }
  std::string names;
  for (auto name : o.choices)
    names += (names.empty() ? "" : ", ") + std::string{name};
  return quote_value(text) + " is not " + std::string{o.what} + " (" + names + ")";
}

reason assign_cidrs(const option_spec& o, std::string_view text, settings& s) {
  std::string why;
  auto networks = http::parse_ip_network_list(text, &why);
  if (!networks)
    return quote_value(text) +
           " is not a comma list of CIDR blocks such as 10.0.0.0/8, fd00::/8: " + why;
  auto& list = s.*std::get<std::vector<std::string> settings::*>(o.field);
  list.clear();
  for (const auto& n : *networks)
    list.push_back(http::to_string(n));
  return std::nullopt;
}

}  // namespace

std::optional<std::string> option_spec::assign(std::string_view text, settings& s) const {
  switch (kind) {
    case kind::integer: return assign_integer(*this, text, s);
    case kind::duration: return assign_duration(*this, text, s);
    case kind::text: return assign_text(*this, text, s);
    case kind::choice: return assign_choice(*this, text, s);
    case kind::cidrs: return assign_cidrs(*this, text, s);
    case kind::boolean: {
      auto v = parse_bool(text);
      if (!v)
        return quote_value(text) + " is not a boolean (true or false)";
      s.*std::get<bool settings::*>(field) = *v;
      return std::nullopt;
    }
    case kind::real: {
      auto v = parse_positive_real(text);
      if (!v)
        return quote_value(text) + " is not a number > 0";
      s.*std::get<double settings::*>(field) = *v;
      return std::nullopt;
    }
    case kind::host:
      if (!is_listen_host(text))
        return quote_value(text) + " is not a host name or IP address";
      string_field(*this, s) = text;
      return std::nullopt;
    case kind::origins: {
      auto origins = parse_origin_list(text);
      if (!origins)
        return quote_value(text) + " is not * or a comma list of origins (http[s]://host[:port])";
      s.*std::get<std::vector<std::string> settings::*>(field) = std::move(*origins);
      return std::nullopt;
    }
    case kind::postgres_url: {
      auto url = parse_postgres_url(text);
      if (!url)  // the text may hold a password: never echo it
        return quote_value(mask_secrets(text)) +
               " is not a PostgreSQL URL (postgresql://[user[:password]@]host[:port]/dbname)";
      string_field(*this, s) = std::move(*url);
      return std::nullopt;
    }
    case kind::http_url: {
      auto base = parse_http_base_url(text);
      if (!base)
        return quote_value(mask_secrets(text)) + " is not an http(s)://host[:port] URL";
      string_field(*this, s) = std::move(*base);
      return std::nullopt;
    }
    case kind::redis_url:
      if (!parse_redis_url(text))  // the text may hold a password: never echo it
        return quote_value(mask_secrets(hide_redis_user_info(text))) +
               " is not a Redis URL (redis://[[user]:password@]host[:port][/db])";
      string_field(*this, s) = text;
      return std::nullopt;
  }
  return "unknown option kind";
}

std::string option_spec::render(const settings& s) const {
  switch (kind) {
    case kind::integer:
      return std::visit(
        [&](auto member) -> std::string {
          using T = std::remove_cvref_t<decltype(s.*member)>;
          if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>)
            return std::to_string(s.*member);
          return {};
        },
        field);
    case kind::duration:
      if (auto member = std::get_if<seconds settings::*>(&field))
        return duration_text(s.**member, unit);
      return duration_text(s.*std::get<milliseconds settings::*>(field), unit);
    case kind::boolean: return s.*std::get<bool settings::*>(field) ? "true" : "false";
    case kind::real: return real_text(s.*std::get<double settings::*>(field));
    case kind::choice:
      return std::visit(
        [&](auto member) -> std::string {
          using T = std::remove_cvref_t<decltype(s.*member)>;
          if constexpr (std::is_enum_v<T>)
            return std::string{choices.at(static_cast<std::size_t>(s.*member))};
          return {};
        },
        field);
    case kind::origins:
    case kind::cidrs: return join(s.*std::get<std::vector<std::string> settings::*>(field));
    case kind::text:
    case kind::host: return string_field(*this, s);
    case kind::postgres_url:
    case kind::http_url:
    case kind::redis_url: return mask_secrets(string_field(*this, s));
  }
  return {};
}

bool option_spec::quoted_in_ini() const {
  return kind != kind::integer && kind != kind::duration && kind != kind::boolean &&
         kind != kind::real;
}

std::string option_spec::name() const {
  return std::string{group} + "." + std::string{key};
}

std::string option_spec::flag() const {
  return "--" + name();
}

const option_spec* find_option(std::string_view group, std::string_view key) {
  for (const auto& o : option_table())
    if (o.group == group && o.key == key)
      return &o;
  return nullptr;
}

const option_spec* find_option_by_env(std::string_view env) {
  for (const auto& o : option_table())
    if (o.env == env)
      return &o;
  return nullptr;
}

bool is_our_group(std::string_view group) {
  const auto& t = option_table();
  return std::any_of(t.begin(), t.end(), [&](const option_spec& o) { return o.group == group; });
}

std::string invalid_value_line(const option_spec& option, std::string_view reason,
                               std::string_view source) {
  std::string line = "invalid value for " + option.flag() + " (" + std::string{option.env} + "): ";
  line += reason;
  if (!source.empty())
    line += " [from " + std::string{source} + "]";
  return line;
}

std::optional<std::string> check_consistency(const settings& s) {
  if (s.auth == auth_mode::jwt && s.auth_public_keys_dir.empty() &&
      s.auth_hs256_secret_file.empty())
    return invalid_value_line(
      *find_option("auth", "mode"),
      "jwt needs keys: set --auth.public-keys-dir (AUTH_PUBLIC_KEYS_DIR) or "
      "--auth.hs256-secret-file (AUTH_HS256_SECRET_FILE)");
  if (s.management_port != 0 && s.management_port == s.http_port) {
    const auto& option = *find_option("http", "management-port");
    return invalid_value_line(option, std::to_string(s.management_port) +
                                        " is --http.port too: give the management "
                                        "listener a port of its own, or 0 for none");
  }
  if (s.tls_cert_file.empty() != s.tls_key_file.empty()) {
    const auto& option = *find_option("http",
                                      s.tls_cert_file.empty() ? "tls-key-file" : "tls-cert-file");
    return invalid_value_line(option,
                              "HTTPS needs both --http.tls-cert-file (TLS_CERT_FILE) and "
                              "--http.tls-key-file (TLS_KEY_FILE)");
  }
  if (s.db_pool_min_idle > s.db_pool_max) {
    const auto& option = *find_option("database", "pool-min-idle");
    return invalid_value_line(option, std::to_string(s.db_pool_min_idle) +
                                        " is more than --database.pool-max (" +
                                        std::to_string(s.db_pool_max) + ")");
  }
  return std::nullopt;
}

}  // namespace svc::config_detail
