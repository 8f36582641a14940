// Text helpers the fuzz targets share, written without the code under test.
#pragma once

#include <string>
#include <string_view>

namespace svc::fuzz {

// `s` with A-Z as a-z, nothing else changed (header names compare this way).
inline std::string ascii_lowered(std::string_view s) {
  std::string out{s};
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
  return out;
}

}  // namespace svc::fuzz
