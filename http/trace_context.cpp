#include "http/trace_context.hpp"

#include <random>
#include <string_view>

namespace svc::http {
namespace {

bool is_lower_hex(std::string_view s) {
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
      return false;
  return true;
}

bool all_zero(std::string_view s) {
  return s.find_first_not_of('0') == std::string_view::npos;
}

std::string random_hex(std::size_t digits) {
  // Ids only need to be unique, not secret: a per-thread generator seeded once.
  thread_local std::mt19937_64 generator{std::random_device{}()};
  static constexpr char hex[] = "0123456789abcdef";
  std::string out(digits, '0');
  for (std::size_t i = 0; i < digits; i += 16) {
    auto bits = generator();
    for (std::size_t j = i; j < i + 16 && j < digits; ++j, bits >>= 4)
      out[j] = hex[bits & 0xF];
  }
  return out;
}

std::string new_trace_id() {
  for (;;)
    if (auto id = random_hex(32); !all_zero(id))
      return id;
}

std::string new_span_id() {
  for (;;)
    if (auto id = random_hex(16); !all_zero(id))
      return id;
}

bool printable(std::string_view s) {
  for (unsigned char c : s)
    if (c < 0x20 || c > 0x7E)
      return false;
  return true;
}

}  // namespace

std::string trace_context::child_traceparent() const {
  return "00-" + trace_id + "-" + span_id + "-" + flags;
}

trace_context new_trace() {
  trace_context t;
  t.trace_id = new_trace_id();
  t.span_id = new_span_id();
  return t;
}

trace_context trace_context_from(const std::string* traceparent, const std::string* tracestate) {
  auto t = new_trace();
  if (!traceparent)
    return t;
  // version "-" trace-id "-" parent-id "-" flags: 2 + 1 + 32 + 1 + 16 + 1 + 2 = 55.
  std::string_view v = *traceparent;
  if (v.size() < 55 || v[2] != '-' || v[35] != '-' || v[52] != '-')
    return t;
  auto version = v.substr(0, 2), trace_id = v.substr(3, 32), parent_id = v.substr(36, 16),
       flags = v.substr(53, 2);
  if (!is_lower_hex(version) || version == "ff" || !is_lower_hex(trace_id) || all_zero(trace_id) ||
      !is_lower_hex(parent_id) || all_zero(parent_id) || !is_lower_hex(flags))
    return t;
  // Version 00 is exactly 55 characters; a later version may append "-...".
  if (v.size() > 55 && (version == "00" || v[55] != '-'))
    return t;
  t.trace_id = trace_id;
  t.parent_id = parent_id;
  // Only the sampled bit is defined; the others are not passed on (level 1).
  t.flags = (std::stoi(std::string{flags}, nullptr, 16) & 1) ? "01" : "00";
  if (tracestate && tracestate->size() <= 512 && printable(*tracestate))
    t.tracestate = *tracestate;
  return t;
}

}  // namespace svc::http
