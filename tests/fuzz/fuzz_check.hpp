// Invariant checks for the fuzz targets: a broken one prints what and where,
// then aborts, so libFuzzer saves the input as a crash artifact. Unlike
// assert(), they stay on in every build type.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace svc::fuzz {

[[noreturn]] inline void fail(const char* condition, std::string_view detail, const char* file,
                              int line) {
  std::fprintf(stderr, "\n*** invariant broken at %s:%d: %s\n", file, line, condition);
  if (!detail.empty())
    std::fprintf(stderr, "    detail: %.*s\n", static_cast<int>(detail.size()), detail.data());
  std::abort();
}

}  // namespace svc::fuzz

// FUZZ_CHECK(cond) or FUZZ_CHECK(cond, detail): `detail` is anything that
// converts to std::string_view and says which value broke the rule.
#define FUZZ_CHECK(cond, ...)                                                      \
  do {                                                                             \
    if (!(cond))                                                                   \
      ::svc::fuzz::fail(#cond, std::string_view{__VA_ARGS__}, __FILE__, __LINE__); \
  } while (0)
