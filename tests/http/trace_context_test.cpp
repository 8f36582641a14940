#include <gtest/gtest.h>

#include <set>
#include <vector>

#include "http/trace_context.hpp"

using namespace svc::http;

namespace {

const std::string valid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

trace_context from(const std::string& traceparent, const std::string* state = nullptr) {
  return trace_context_from(&traceparent, state);
}

bool is_hex(const std::string& s, std::size_t n) {
  return s.size() == n && s.find_first_not_of("0123456789abcdef") == std::string::npos &&
         s.find_first_not_of('0') != std::string::npos;
}

}  // namespace

TEST(TraceContext, AValidTraceparentIsContinued) {
  const std::string state = "congo=t61rcWkgMzE";
  auto t = from(valid, &state);
  EXPECT_EQ(t.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(t.parent_id, "00f067aa0ba902b7");
  EXPECT_TRUE(is_hex(t.span_id, 16));
  EXPECT_NE(t.span_id, t.parent_id) << "a span of our own";
  EXPECT_EQ(t.flags, "01");
  EXPECT_EQ(t.tracestate, state);
  EXPECT_EQ(t.child_traceparent(), "00-4bf92f3577b34da6a3ce929d0e0e4736-" + t.span_id + "-01");
}

TEST(TraceContext, AMissingOrMalformedTraceparentStartsANewTrace) {
  const std::string state = "congo=t61rcWkgMzE";
  for (const std::string& bad : std::vector<std::string>{
         "", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7", valid + "-extra",
         "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
         "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
         "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
         "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
         "00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01",
         "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01", valid + ", " + valid}) {
    SCOPED_TRACE(bad);
    auto t = from(bad, &state);
    EXPECT_TRUE(is_hex(t.trace_id, 32));
    EXPECT_NE(t.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
    EXPECT_TRUE(t.parent_id.empty());
    EXPECT_EQ(t.flags, "00");
    EXPECT_TRUE(t.tracestate.empty()) << "tracestate belongs to the traceparent it came with";
  }
  auto none = trace_context_from(nullptr, nullptr);
  EXPECT_TRUE(is_hex(none.trace_id, 32));
  EXPECT_TRUE(is_hex(none.span_id, 16));
}

TEST(TraceContext, ALaterVersionIsReadAsVersion00) {
  auto t = from("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03-whatever");
  EXPECT_EQ(t.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(t.flags, "01") << "only the sampled bit is passed on";
  EXPECT_EQ(from("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x").parent_id, "");
}

TEST(TraceContext, NewTracesAreDistinct) {
  std::set<std::string> ids;
  for (int i = 0; i < 1000; ++i)
    ids.insert(new_trace().trace_id);
  EXPECT_EQ(ids.size(), 1000u);
}
