#include "reliability/raw_connection.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace reliability {

using clock_type = std::chrono::steady_clock;

raw_connection::raw_connection(std::uint16_t port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0)
    throw std::runtime_error(std::string{"socket: "} + std::strerror(errno));
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // slow clients: one byte, one segment
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    const int err = errno;
    ::close(fd_);
    throw std::runtime_error("connect to 127.0.0.1:" + std::to_string(port) + ": " + std::strerror(err));
  }
}

raw_connection::~raw_connection() {
  if (fd_ >= 0)
    ::close(fd_);
}

bool raw_connection::send(std::string_view bytes) {
  while (!bytes.empty()) {
    const auto n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      closed_ = true;  // EPIPE / ECONNRESET: the server is gone from this connection
      return false;
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

bool raw_connection::read_some(clock_type::time_point deadline) {
  // A deadline already passed still gets one look (poll with no wait).
  const auto left = std::max<long long>(
    0, std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_type::now()).count());
  pollfd p{fd_, POLLIN, 0};
  const int ready = ::poll(&p, 1, static_cast<int>(left));
  if (ready <= 0)
    return false;
  char chunk[8192];
  const auto n = ::recv(fd_, chunk, sizeof chunk, 0);
  if (n <= 0) {
    closed_ = true;  // EOF, or a reset
    return true;
  }
  received_.append(chunk, static_cast<std::size_t>(n));
  return true;
}

bool raw_connection::wait_closed(std::chrono::milliseconds timeout) {
  if (closed_)
    return true;
  const auto deadline = clock_type::now() + timeout;
  do {
    read_some(deadline);
  } while (!closed_ && clock_type::now() < deadline);
  return closed_;
}

std::optional<e2e::reply> raw_connection::read_response(std::chrono::milliseconds timeout) {
  const auto deadline = clock_type::now() + timeout;
  for (;;) {
    std::size_t used = 0;
    auto r = e2e::parse_response(std::string_view{received_}.substr(consumed_), closed_, &used);
    if (r) {
      consumed_ += used;
      return r;
    }
    if (closed_ || clock_type::now() >= deadline)
      return std::nullopt;
    read_some(deadline);
  }
}

std::vector<e2e::reply> parse_responses(std::string_view data) {
  std::vector<e2e::reply> out;
  while (!data.empty()) {
    std::size_t used = 0;
    auto r = e2e::parse_response(data, true, &used);
    if (!r || used == 0)
      break;
    out.push_back(std::move(*r));
    data.remove_prefix(used);
  }
  return out;
}

int open_descriptors(int pid) {
  std::error_code ec;
  int n = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
    ++n;
  return ec ? -1 : n;
}

}  // namespace reliability
