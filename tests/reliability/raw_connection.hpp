// raw_connection.hpp: a TCP connection to 127.0.0.1 that the test holds open and
// writes to byte by byte, for what e2e::raw_exchange() (one shot: send, read one
// answer) cannot do: slow clients, idle connections, pipelined garbage, and
// telling "the server closed" from "the server is still waiting".
//
// Plain POSIX sockets and poll(): every wait has a deadline, nothing blocks
// without one.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "e2e/http_client.hpp"

namespace reliability {

using namespace std::chrono_literals;

class raw_connection {
public:
  // Connects (throws std::runtime_error when the connect fails).
  explicit raw_connection(std::uint16_t port);
  ~raw_connection();
  raw_connection(const raw_connection&) = delete;
  raw_connection& operator=(const raw_connection&) = delete;

  // Writes every byte; false when the server has closed or reset the connection.
  bool send(std::string_view bytes);

  // Reads until the server closes the connection or `timeout` passes; true on a
  // close (EOF or reset). Whatever arrived is appended to received().
  bool wait_closed(std::chrono::milliseconds timeout);

  // Reads until one complete HTTP response is in received() (counting from the
  // responses already taken), the server closes, or `timeout` passes.
  std::optional<e2e::reply> read_response(std::chrono::milliseconds timeout);

  // Whether the server closed the connection, as far as a read has seen.
  bool closed() const { return closed_; }
  const std::string& received() const { return received_; }

private:
  // One poll()+recv(); false when nothing arrived before `deadline`.
  bool read_some(std::chrono::steady_clock::time_point deadline);

  int fd_ = -1;
  bool closed_ = false;
  std::string received_;
  std::size_t consumed_ = 0;  // bytes of received_ that earlier responses used
};

// Every response in `data` (pipelined answers), in order; stops at the first
// incomplete or unparsable one.
std::vector<e2e::reply> parse_responses(std::string_view data);

// Open file descriptors of process `pid` (sockets included); -1 when unknown.
int open_descriptors(int pid);

}  // namespace reliability
