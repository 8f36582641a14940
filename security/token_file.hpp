// order-service's own bearer token for its calls to user-service, from a file
// (USER_SERVICE_TOKEN_FILE) that a token issuer or a Kubernetes secret rewrites
// before the token expires. Looked at again at most once per interval (stat()
// only; read when its stamp changed), so a caller never waits on the disk more
// than that. A file that became unreadable or holds no token keeps the last good
// token (reported once). The token itself is never put in a message.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "security/file_stamp.hpp"

namespace svc::security {

class token_file {
public:
  token_file(std::filesystem::path path,
             std::chrono::milliseconds recheck_interval = std::chrono::seconds{1},
             std::function<void(const std::string&)> on_problem = {});

  // Set when the file gave no usable token at start: the service refuses to start.
  const std::optional<std::string>& startup_error() const { return startup_error_; }

  // The token now (never null; empty when there never was a good one).
  std::shared_ptr<const std::string> current();

  // "Bearer <token>", or "" when there is no token.
  std::string authorization();

private:
  // The token in the file, or nullopt and a reason.
  std::optional<std::string> read(std::string& why) const;
  void reload();

  std::filesystem::path path_;
  std::function<void(const std::string&)> on_problem_;
  recheck_gate gate_;
  std::optional<file_stamp> seen_;  // guarded by the gate
  std::optional<std::string> startup_error_;
  std::mutex mutex_;  // guards token_
  std::shared_ptr<const std::string> token_;
};

}  // namespace svc::security
