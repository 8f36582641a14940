#include "observability/log.hpp"

#include <chrono>
#include <memory>

#include <nlohmann/json.hpp>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace svc::log {
namespace {

constexpr std::string_view level_names[] = {"trace", "debug", "info", "warn", "error"};

struct logger_setup {
  std::string service = "service";
  format fmt = format::json;
  std::shared_ptr<spdlog::logger> logger;
};

logger_setup& setup() {
  static logger_setup instance;
  return instance;
}

spdlog::level::level_enum to_spdlog(level lvl) {
  switch (lvl) {
    case level::trace: return spdlog::level::trace;
    case level::debug: return spdlog::level::debug;
    case level::info: return spdlog::level::info;
    case level::warn: return spdlog::level::warn;
    case level::error: return spdlog::level::err;
  }
  return spdlog::level::info;
}

nlohmann::json to_json(const value& v) {
  return std::visit(
    [](const auto& x) -> nlohmann::json {
      using T = std::decay_t<decltype(x)>;
      if constexpr (std::is_same_v<T, std::string_view>)
        return std::string{x};
      else if constexpr (std::is_same_v<T, const char*>)
        return x ? std::string{x} : std::string{};
      else
        return x;
    },
    v);
}

std::string now_rfc3339() {
  using namespace std::chrono;
  auto now = system_clock::now();
  auto secs = time_point_cast<seconds>(now);
  auto micros = duration_cast<microseconds>(now - secs).count();
  std::time_t t = system_clock::to_time_t(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  auto n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%06ldZ", static_cast<long>(micros));
  return buf;
}

}  // namespace

bool parse_level(std::string_view name, level& out) {
  for (std::size_t i = 0; i < std::size(level_names); ++i)
    if (name == level_names[i]) {
      out = static_cast<level>(i);
      return true;
    }
  return false;
}

void init(std::string service, level min_level, format fmt) {
  auto& s = setup();
  s.service = std::move(service);
  s.fmt = fmt;
  s.logger = std::make_shared<spdlog::logger>(s.service,
                                              std::make_shared<spdlog::sinks::stdout_sink_mt>());
  s.logger->set_pattern("%v");
  s.logger->set_level(to_spdlog(min_level));
  s.logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(s.logger);
}

bool enabled(level lvl) {
  auto& s = setup();
  return s.logger ? s.logger->should_log(to_spdlog(lvl)) : lvl >= level::info;
}

std::string render(format fmt, std::string_view time, level lvl, std::string_view service,
                   std::string_view message, fields extra) {
  return render(fmt, time, lvl, service, request_scope{}, message, extra);
}

std::string render(format fmt, std::string_view time, level lvl, std::string_view service,
                   const request_scope& scope, std::string_view message, fields extra) {
  auto lvl_name = level_names[static_cast<int>(lvl)];
  const std::pair<std::string_view, const std::string*> scoped[] = {
    {"request_id", &scope.request_id()},
    {"trace_id", &scope.trace_id()},
    {"span_id", &scope.span_id()},
    {"sub", &scope.subject()}};
  if (fmt == format::json) {
    nlohmann::ordered_json line{
      {"time", time}, {"level", lvl_name}, {"service", service}, {"msg", message}};
    for (const auto& [key, v] : scoped)
      if (!v->empty())
        line[std::string{key}] = *v;
    for (const auto& [key, v] : extra)
      line[std::string{key}] = to_json(v);
    return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  std::string line = std::string{time} + " " + std::string{lvl_name} + " " + std::string{message};
  auto append = [&line](std::string_view key, const nlohmann::json& v) {
    line += ' ';
    line += key;
    line += '=';
    line += v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  };
  for (const auto& [key, v] : scoped)
    if (!v->empty())
      append(key, *v);
  for (const auto& [key, v] : extra)
    append(key, to_json(v));
  return line;
}

void write(level lvl, std::string_view message, fields extra) {
  write(lvl, request_scope{}, message, extra);
}

void write(level lvl, const request_scope& scope, std::string_view message, fields extra) {
  if (!enabled(lvl))
    return;
  auto& s = setup();
  auto line = render(s.fmt, now_rfc3339(), lvl, s.service, scope, message, extra);
  if (s.logger)
    s.logger->log(to_spdlog(lvl), "{}", line);
  else
    spdlog::log(to_spdlog(lvl), "{}", line);
}

}  // namespace svc::log
