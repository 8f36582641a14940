// Noticing that files changed without reading them: a stamp (inode, size,
// modification time) per file, and a gate that lets one caller at a time look
// again at most once per interval. Readers on the request path only ever see
// the gate say "not yet", so they never touch the disk.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace svc::security {

struct file_stamp {
  std::uint64_t inode = 0;
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;
  bool operator==(const file_stamp&) const = default;
};

// The stamp of `path` (symbolic links followed, as Kubernetes mounts secrets
// through them); nullopt when it cannot be stat'ed.
std::optional<file_stamp> stamp_of(const std::filesystem::path& path);

// A whole small file, at most `max_bytes`; nullopt and `why` ("No such file or
// directory", "larger than 65536 bytes") otherwise.
std::optional<std::string> read_small_file(const std::filesystem::path& path, std::size_t max_bytes,
                                           std::string& why);

// `text` without trailing CR and LF: a secret written by `echo` or an editor.
std::string without_trailing_newlines(std::string text);

// At most one "look again" per interval, and to one thread at a time.
class recheck_gate {
public:
  explicit recheck_gate(std::chrono::milliseconds interval) : interval_{interval} {}

  // True for the one caller that should look now; it must call done() after.
  bool try_begin();
  // A look just happened: the next one is due an interval from now. Also called
  // once after the first load, which needs no try_begin().
  void done();

private:
  std::chrono::milliseconds interval_;
  std::atomic<std::int64_t> next_ns_{0};  // steady clock
  std::atomic<bool> busy_{false};
};

}  // namespace svc::security
