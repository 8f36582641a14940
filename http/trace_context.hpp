// W3C Trace Context (https://www.w3.org/TR/trace-context/): the trace a request
// belongs to, continued from a valid `traceparent` (and its `tracestate`) or
// started here, and the header that makes a call to a neighbour its child.
#pragma once

#include <string>

namespace svc::http {

struct trace_context {
  std::string trace_id;      // 32 lower-case hex digits, never all zero
  std::string span_id;       // 16 hex digits: this service's span for the request
  std::string parent_id;     // the caller's span; empty when the trace started here
  std::string flags = "00";  // trace-flags as received (sampled: "01"), or "00"
  std::string tracestate;    // forwarded as received with a valid traceparent

  // `traceparent` for a call made on behalf of this request: same trace, this
  // span as the parent, same flags.
  std::string child_traceparent() const;
};

// Continues the trace of a valid `traceparent` (version 00, or a later version
// read as 00 defines it; never "ff", no all-zero ids); anything else, or no
// header, starts a new trace. `traceparent` is the combined value of every line:
// two lines (a comma) are not valid. `tracestate` is kept only with a valid
// traceparent, and only when it is at most 512 printable characters.
trace_context trace_context_from(const std::string* traceparent, const std::string* tracestate);

// A new trace, for work no request started (the reconciler's calls).
trace_context new_trace();

}  // namespace svc::http
