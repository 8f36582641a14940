// One asynchronous hiredis connection whose socket an asio io_context watches
// (hiredis 0.14 has no asio adapter: this is one). Nothing here blocks: the
// connect is non-blocking and takes an address, not a name (name lookup would
// block; shared_bucket_store resolves with asio first).
//
// Not an actor and not thread-safe: its owner (the limiter actor) calls it from
// its handlers only, and socket readiness reaches the owner as a message
// (`notify`, called on the I/O thread), as the DB pool's pipelined connections
// do (actors/db_pool_pipelines.hpp). hiredis stays in the .cpp.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "resilience/shared_bucket_script.hpp"

namespace boost::asio {
class io_context;
}

namespace svc {

class redis_connection {
public:
  // Asks the owner to call on_socket_ready(generation, writable) from its own
  // context. Called on the io_context's thread.
  using notify_fn = std::function<void(std::uint64_t generation, bool writable)>;
  // The reply of one command; nullptr when none will come (connection closed).
  using reply_fn = std::function<void(const redis_value* reply)>;

  // What a socket event did to the connection.
  enum class event { nothing, connected, connect_failed, closed };

  redis_connection(boost::asio::io_context& io, notify_fn notify);
  ~redis_connection();  // close()
  redis_connection(const redis_connection&) = delete;
  redis_connection& operator=(const redis_connection&) = delete;

  // Starts connecting to `address` (numeric IPv4/IPv6) after closing any
  // earlier connection; false (see last_error) when that fails at once.
  bool open(const std::string& address, std::uint16_t port);

  // Lets hiredis read or write; replies are handed to their reply_fn from here.
  event on_socket_ready(std::uint64_t generation, bool writable);

  // Queues a command (sent on the next writable event); false when closed.
  // Commands may be queued while the connection is still being set up.
  bool send(const std::vector<std::string>& args, reply_fn done);

  // Closes at once: every reply still awaited gets nullptr. Never call it from a
  // reply_fn (hiredis is inside its read loop then); the owner does it later.
  void close();

  bool is_open() const;    // opening or connected
  bool connected() const;  // the TCP connection is up
  const std::string& last_error() const;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace svc
