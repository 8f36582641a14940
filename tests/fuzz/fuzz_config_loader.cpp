// Fuzz target: the layered settings loader (config/settings_loader.hpp) with
// every layer fuzzed at once. Input: five parts split at lines "%%":
//
//   service name        user-service / order-service (else an error result)
//   %%
//   caf-application.ini  written to a scratch working directory; no part, no file
//   %%
//   .env                 likewise
//   %%
//   environment          KEY=VALUE lines
//   %%
//   arguments            one per line
//
// The loader reads files only from its working directory, hence the scratch one.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <boost/url.hpp>

#include "config/option_table.hpp"
#include "config/redis_url.hpp"
#include "config/secret_mask.hpp"
#include "config/settings_loader.hpp"
#include "config/value_parsers.hpp"
#include "fuzz_check.hpp"

namespace {

using namespace svc;
namespace fs = std::filesystem;

fs::path scratch_dir;

void remove_scratch_dir() {
  std::error_code ec;
  fs::remove_all(scratch_dir, ec);
}

std::vector<std::string_view> split(std::string_view text, std::string_view separator,
                                    std::size_t max_parts) {
  std::vector<std::string_view> parts;
  while (parts.size() + 1 < max_parts) {
    auto at = text.find(separator);
    if (at == std::string_view::npos)
      break;
    parts.push_back(text.substr(0, at));
    text.remove_prefix(at + separator.size());
  }
  parts.push_back(text);
  return parts;
}

std::vector<std::string_view> lines(std::string_view text) {
  if (text.empty())
    return {};
  return split(text, "\n", SIZE_MAX);
}

void put_file(const char* name, const std::vector<std::string_view>& parts, std::size_t index) {
  auto path = scratch_dir / name;
  if (index >= parts.size()) {
    std::error_code ec;
    fs::remove(path, ec);
    return;
  }
  std::ofstream{path, std::ios::binary | std::ios::trunc}.write(
    parts[index].data(), static_cast<std::streamsize>(parts[index].size()));
}

// --config-file may only name a plain file name: a fuzzed path such as
// /dev/zero would only test the machine. Mirrors parse_command_line's reading.
bool safe_config_file_args(const std::vector<std::string>& args) {
  auto plain = [](std::string_view v) {
    return std::all_of(v.begin(), v.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
             c == '.' || c == '_' || c == '-';
    });
  };
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (!arg.starts_with("--config-file"))
      continue;
    if (arg.starts_with("--config-file=") && !plain(arg.substr(14)))
      return false;
    if (arg == "--config-file" && i + 1 < args.size() && !plain(args[i + 1]))
      return false;
  }
  return true;
}

// A secret's <NAME>_FILE in the environment may only name a plain file of the
// scratch directory, like --config-file. (The loader refuses anything but a
// regular file of at most 64 KiB, so a fuzzed .env naming another path costs a
// failed open at worst.)
bool safe_secret_files(const std::map<std::string, std::string>& environment) {
  for (const auto& [name, value] : environment)
    if (name.ends_with("_FILE") && !std::all_of(value.begin(), value.end(), [](char c) {
          return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '.' || c == '_' || c == '-';
        }))
      return false;
  return true;
}

// What the loader accepts must be usable: every value in its documented range.
void check_ranges(const settings& s) {
  FUZZ_CHECK(s.http_port >= 1);
  FUZZ_CHECK(config_detail::is_listen_host(s.http_host), s.http_host);
  FUZZ_CHECK(s.io_threads <= 1024);  // 0: half the CPUs, decided at start-up
  FUZZ_CHECK(s.http_header_timeout.count() > 0 && s.http_idle_timeout.count() > 0);
  FUZZ_CHECK(s.max_body_bytes >= 1 && s.max_header_bytes >= 1 && s.max_connections >= 1);
  FUZZ_CHECK(!s.cors_allowed_origins.empty());
  for (const auto& o : s.cors_allowed_origins)
    FUZZ_CHECK(!o.empty() && (o == "*") == (s.cors_allowed_origins.size() == 1 && o == "*"), o);
  // Accepted as it is stored: a lower-case scheme, which libpq alone recognises.
  FUZZ_CHECK(config_detail::parse_postgres_url(s.database_url) == s.database_url,
             s.masked_database_url());
  FUZZ_CHECK(s.db_pool_max >= 1 && s.db_pool_max <= 10000 && s.db_pool_min_idle <= s.db_pool_max);
  FUZZ_CHECK(s.db_conn_max_lifetime.count() > 0 && s.db_connect_retries >= 1);
  FUZZ_CHECK(s.db_acquire_timeout.count() > 0 && s.db_query_timeout.count() > 0);
  FUZZ_CHECK(config_detail::parse_http_base_url(s.user_service_url) == s.user_service_url,
             s.user_service_url);
  FUZZ_CHECK(!s.user_service_url.ends_with('/'), s.user_service_url);
  FUZZ_CHECK(s.http_client_timeout.count() > 0);
  FUZZ_CHECK(std::isfinite(s.rate_limit_rps) && s.rate_limit_rps > 0 && s.rate_limit_burst >= 1);
  FUZZ_CHECK(s.rate_limit_backend == rate_backend::local ||
             s.rate_limit_backend == rate_backend::redis);
  FUZZ_CHECK(parse_redis_url(s.redis_url).has_value(), mask_secrets(s.redis_url));
  FUZZ_CHECK(s.breaker_failure_threshold >= 1 && s.breaker_half_open_max >= 1);
  FUZZ_CHECK(s.breaker_open_timeout.count() > 0 && s.shutdown_timeout.count() > 0);
  FUZZ_CHECK(s.scheduler_max_threads <= 1024);
  FUZZ_CHECK(s.auth_clock_skew.count() >= 0 && s.auth_clock_skew.count() <= 86400);
  // jwt without a key would refuse every request: the loader must have said so.
  FUZZ_CHECK(s.auth == auth_mode::off || !s.auth_public_keys_dir.empty() ||
             !s.auth_hs256_secret_file.empty());
  for (const auto* text : {&s.auth_public_keys_dir, &s.auth_hs256_secret_file, &s.auth_issuer,
                           &s.auth_audience, &s.user_service_token_file})
    FUZZ_CHECK(std::none_of(text->begin(), text->end(),
                            [](char c) { return static_cast<unsigned char>(c) < 0x20; }),
               *text);
}

// effective_settings() is logged at start-up "as text an operator could type
// back in": each value, fed back to its option, gives the same settings value.
// The database and Redis URLs round-trip only when they have no password to mask.
void check_render_round_trip(const settings& s) {
  for (const auto& option : config_detail::option_table()) {
    auto text = option.render(s);
    if (option.env == "DATABASE_URL" && text != s.database_url)
      continue;
    if (option.env == "REDIS_URL" && text != s.redis_url)
      continue;
    settings copy = s;
    auto why = option.assign(text, copy);
    FUZZ_CHECK(!why, option.name() + " = " + text + ": " + why.value_or(""));
    FUZZ_CHECK(option.render(copy) == text,
               option.name() + " = " + text + " -> " + option.render(copy));
  }
}

// libpq reads these query parameters (keys percent-decoded) as secrets.
bool is_secret_param(boost::urls::param_pct_view param) {
  auto key = param.key.decode();
  return key == "password" || key == "sslpassword";
}

// The secrets in the database URL (the password of the user info, or a query
// parameter that libpq reads as "password" or "sslpassword" once percent-decoded)
// never show in what is logged: in the URL as shown, any of them is "***".
void check_password_masked(const settings& s) {
  auto shown = s.masked_database_url();
  for (const auto& [name, value] : effective_settings(s))
    if (name == "database.url")
      FUZZ_CHECK(value == shown, value);
  auto url = boost::urls::parse_uri(shown);
  if (url) {
    if (url->has_password())  // an empty one hides nothing
      FUZZ_CHECK(url->encoded_password() == "***" || url->encoded_password().empty(), shown);
    for (auto param : url->encoded_params())
      if (is_secret_param(param))
        FUZZ_CHECK(!param.has_value || param.value == "***", shown);
    return;
  }
  // An '@' in the query makes the mask hide more than the password, which may
  // leave no URL: then the original's secrets must not show in their places.
  auto original = boost::urls::parse_uri(s.database_url);
  FUZZ_CHECK(original.has_value(), shown);
  if (original->has_password() && original->encoded_password() != "***")
    FUZZ_CHECK(
      shown.find(":" + std::string{original->encoded_password()} + "@") == std::string::npos,
      shown);
  for (auto param : original->encoded_params())
    if (is_secret_param(param) && param.has_value && param.value != "***")
      FUZZ_CHECK(
        shown.find(std::string{param.key} + "=" + std::string{param.value}) == std::string::npos,
        shown);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // Two files are rewritten per input: in memory (/dev/shm) that costs little,
  // on ext4 truncating a file flushes it to disk every time.
  std::error_code ec;
  auto base = fs::is_directory("/dev/shm", ec) ? fs::path{"/dev/shm"} : fs::temp_directory_path();
  // A crash leaves by abort(), past atexit(): the directories of fuzzers no
  // longer running are removed here instead.
  for (const auto& entry : fs::directory_iterator(base, ec)) {
    auto name = entry.path().filename().string();
    if (!name.starts_with("fuzz_config_"))
      continue;
    auto pid = std::atol(name.c_str() + 12);
    if (pid > 0 && kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH)
      fs::remove_all(entry.path(), ec);
  }
  scratch_dir = base / ("fuzz_config_" + std::to_string(getpid()));
  fs::create_directories(scratch_dir, ec);
  if (ec)
    std::abort();
  std::atexit(remove_scratch_dir);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input{reinterpret_cast<const char*>(data), size};
  auto parts = split(input, "\n%%\n", 5);

  std::string service{parts[0]};
  put_file("caf-application.ini", parts, 1);
  put_file(".env", parts, 2);
  std::map<std::string, std::string> environment;
  if (parts.size() > 3)
    for (auto line : lines(parts[3]))
      if (auto eq = line.find('='); eq != std::string_view::npos)
        environment[std::string{line.substr(0, eq)}] = std::string{line.substr(eq + 1)};
  std::vector<std::string> args;
  if (parts.size() > 4)
    for (auto line : lines(parts[4]))
      args.emplace_back(line);
  if (!safe_config_file_args(args) || !safe_secret_files(environment))
    return -1;  // not worth keeping in the corpus

  auto result = load_settings(service, args, environment, scratch_dir);
  bool asked_help = std::find(args.begin(), args.end(), "--help") != args.end() ||
                    std::find(args.begin(), args.end(), "-h") != args.end();
  bool known_service = service == "user-service" || service == "order-service";
  switch (result.kind) {
    case load_result::help: FUZZ_CHECK(asked_help && known_service && !result.text.empty()); break;
    case load_result::error:
      FUZZ_CHECK(!asked_help || !known_service);
      // "One clear line": an error can never span lines.
      FUZZ_CHECK(!result.text.empty() && result.text.find_first_of("\r\n") == std::string::npos,
                 result.text);
      break;
    case load_result::ok:
      FUZZ_CHECK(!asked_help && known_service);
      FUZZ_CHECK(result.config.service_name == service, service);
      check_ranges(result.config);
      check_render_round_trip(result.config);
      check_password_masked(result.config);
      break;
  }
  return 0;
}
