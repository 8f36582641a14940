// support/test_util.hpp: small helpers every test folder used a copy of.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

namespace svc_test {

// Polls `done` every `interval` until it returns true or `timeout` passes; the
// last result. Only a bound against hangs, never a performance assertion.
bool poll_until(const std::function<bool()>& done, std::chrono::milliseconds timeout,
                std::chrono::milliseconds interval = std::chrono::milliseconds{200});

// A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0, read, close).
std::uint16_t free_port();

// A fresh lower-case token, unique within the run: `prefix`, six random letters
// and a counter ("zqkdmwpa1003"). For names, emails and searches.
std::string unique_tag(const std::string& prefix);

}  // namespace svc_test
