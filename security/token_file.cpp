#include "security/token_file.hpp"

#include "security/bearer_token.hpp"

namespace svc::security {
namespace {

constexpr std::size_t max_token_file_bytes = std::size_t{64} * 1024;

}  // namespace

token_file::token_file(std::filesystem::path path, std::chrono::milliseconds recheck_interval,
                       std::function<void(const std::string&)> on_problem)
    : path_{std::move(path)},
      on_problem_{std::move(on_problem)},
      gate_{recheck_interval},
      token_{std::make_shared<const std::string>()} {
  seen_ = stamp_of(path_);
  std::string why;
  if (auto token = read(why))
    token_ = std::make_shared<const std::string>(std::move(*token));
  else
    startup_error_ = "the token file " + path_.string() + " gives no token: " + why;
  gate_.done();
}

std::optional<std::string> token_file::read(std::string& why) const {
  auto text = read_small_file(path_, max_token_file_bytes, why);
  if (!text)
    return std::nullopt;
  auto token = without_trailing_newlines(std::move(*text));
  // It goes into a header line: anything but token68 could break the request.
  if (!is_token68(token)) {
    why = token.empty() ? "the file is empty"
                        : "the file holds more than one token68 word (RFC 7235)";
    return std::nullopt;
  }
  return token;
}

void token_file::reload() {
  auto stamp = stamp_of(path_);
  if (stamp == seen_)
    return;
  seen_ = stamp;
  std::string why;
  auto token = read(why);
  if (!token) {
    if (on_problem_)
      on_problem_("token file " + path_.string() + " not used, keeping the last token: " + why);
    return;
  }
  std::lock_guard lock{mutex_};
  token_ = std::make_shared<const std::string>(std::move(*token));
}

std::shared_ptr<const std::string> token_file::current() {
  if (gate_.try_begin()) {
    reload();
    gate_.done();
  }
  std::lock_guard lock{mutex_};
  return token_;
}

std::string token_file::authorization() {
  auto token = current();
  return token->empty() ? std::string{} : "Bearer " + *token;
}

}  // namespace svc::security
