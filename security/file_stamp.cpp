#include "security/file_stamp.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace svc::security {

std::optional<file_stamp> stamp_of(const std::filesystem::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    return std::nullopt;
  return file_stamp{
    static_cast<std::uint64_t>(st.st_ino), static_cast<std::uint64_t>(st.st_size),
    static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec};
}

std::optional<std::string> read_small_file(const std::filesystem::path& path, std::size_t max_bytes,
                                           std::string& why) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer. Only a regular file
  // (behind any symbolic links) is read, so /dev/zero is refused, not read forever.
  int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    why = std::strerror(errno);
    return std::nullopt;
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    why = S_ISDIR(st.st_mode) ? "is a directory" : "is not a regular file";
    ::close(fd);
    return std::nullopt;
  }
  std::string content;
  char buffer[4096];
  for (;;) {
    auto n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      why = std::strerror(errno);
      ::close(fd);
      return std::nullopt;
    }
    if (n == 0)
      break;
    content.append(buffer, static_cast<std::size_t>(n));
    if (content.size() > max_bytes) {
      why = "larger than " + std::to_string(max_bytes) + " bytes";
      ::close(fd);
      return std::nullopt;
    }
  }
  ::close(fd);
  return content;
}

std::string without_trailing_newlines(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r'))
    text.pop_back();
  return text;
}

bool recheck_gate::try_begin() {
  auto now = std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
               .count();
  if (now < next_ns_.load(std::memory_order_relaxed))
    return false;
  if (busy_.exchange(true, std::memory_order_acquire))
    return false;
  // Re-read under the flag: another thread may have just finished a look.
  if (now < next_ns_.load(std::memory_order_relaxed)) {
    busy_.store(false, std::memory_order_release);
    return false;
  }
  return true;
}

void recheck_gate::done() {
  auto now = std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
               .count();
  next_ns_.store(now + std::chrono::duration_cast<std::chrono::nanoseconds>(interval_).count(),
                 std::memory_order_relaxed);
  busy_.store(false, std::memory_order_release);
}

}  // namespace svc::security
