// Structured logging: one JSON object per line (or readable text), each line with
// time, level, service and message, plus whatever fields the caller adds (request
// id, route, status...). spdlog does the filtering and the writing.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace svc::log {

enum class level { trace, debug, info, warn, error };
enum class format { json, text };

using value = std::variant<std::string, std::string_view, const char*, std::int64_t, double, bool>;
using field = std::pair<std::string_view, value>;
using fields = std::initializer_list<field>;

// Whom a line is written for: the request's ids and, with auth on, the caller's
// subject (the token's `sub`, never the token). Every line written on a request's
// behalf, wherever it is written (front, resource, DB pool, worker), carries them,
// so that one trace_id or request_id finds all of them.
//
// Copies share one immutable block: a scope travels with every message of the
// request (resource, pool, completions), and copying four ids at each hop cost a
// dozen allocations per request.
class request_scope {
public:
  request_scope() = default;
  request_scope(std::string request_id, std::string trace_id = {}, std::string span_id = {},
                std::string subject = {})
      : ids_(std::make_shared<const ids>(ids{std::move(request_id), std::move(trace_id),
                                             std::move(span_id), std::move(subject)})) {}
  request_scope(const char* request_id) : request_scope(std::string{request_id}) {}

  const std::string& request_id() const noexcept { return ids_ ? ids_->request_id : none(); }
  const std::string& trace_id() const noexcept { return ids_ ? ids_->trace_id : none(); }
  const std::string& span_id() const noexcept { return ids_ ? ids_->span_id : none(); }
  // Empty with auth off.
  const std::string& subject() const noexcept { return ids_ ? ids_->subject : none(); }

private:
  struct ids {
    std::string request_id, trace_id, span_id, subject;
  };
  static const std::string& none() noexcept {
    static const std::string empty;
    return empty;
  }
  std::shared_ptr<const ids> ids_;
};

// Parses "trace".."error"; nullopt-like false on an unknown name.
bool parse_level(std::string_view name, level& out);

// Call once at start-up, before any thread logs.
void init(std::string service, level min_level, format fmt);

bool enabled(level lvl);
void write(level lvl, std::string_view message, fields extra = {});
// The line with the scope's fields (those that are set) before `extra`.
void write(level lvl, const request_scope& scope, std::string_view message, fields extra = {});

inline void trace(std::string_view m, fields f = {}) {
  write(level::trace, m, f);
}
inline void debug(std::string_view m, fields f = {}) {
  write(level::debug, m, f);
}
inline void info(std::string_view m, fields f = {}) {
  write(level::info, m, f);
}
inline void warn(std::string_view m, fields f = {}) {
  write(level::warn, m, f);
}
inline void error(std::string_view m, fields f = {}) {
  write(level::error, m, f);
}

inline void info(const request_scope& s, std::string_view m, fields f = {}) {
  write(level::info, s, m, f);
}
inline void warn(const request_scope& s, std::string_view m, fields f = {}) {
  write(level::warn, s, m, f);
}
inline void error(const request_scope& s, std::string_view m, fields f = {}) {
  write(level::error, s, m, f);
}

// The JSON or text line for one event, without the trailing newline (for tests).
std::string render(format fmt, std::string_view time, level lvl, std::string_view service,
                   std::string_view message, fields extra);
std::string render(format fmt, std::string_view time, level lvl, std::string_view service,
                   const request_scope& scope, std::string_view message, fields extra);

}  // namespace svc::log
