// Asynchronous HTTP/1.1 client for calls to a neighbour service (order-service's
// breaker actor -> user-service). Callbacks only, no CAF. Beast and Asio stay in
// client.cpp (pimpl) so that actor code including this header compiles fast.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/message.hpp"

namespace svc::http {

// A neighbour's base URL, parsed once (Boost.URL): "http[s]://host[:port][/prefix]",
// host a name, IPv4 or [IPv6]; no user info, query or fragment.
struct base_url {
  bool tls = false;         // https
  std::string host;         // without IPv6 brackets, for the resolver
  std::string port;         // "80" or "443" when the URL names none
  std::string host_header;  // "host[:port]", the port only when not the scheme's
  std::string prefix;       // the URL's path without its trailing '/': "" or "/users"

  // nullopt, and the reason in `why` when given, for anything else.
  static std::optional<base_url> parse(std::string_view text, std::string* why = nullptr);
};

struct client_options {
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds total_timeout{10000};  // whole exchange: resolve+connect+write+read
  std::size_t max_idle_per_host = 64;              // keep-alive connections kept for reuse
  std::size_t max_response_bytes = 1 << 20;
  unsigned threads = 1;  // the client's own I/O threads (0 is taken as 1)
  // CA bundle (PEM) that https servers' certificates must chain to; empty: the
  // system's default CAs. The client's constructor throws when it cannot be used.
  std::string ca_file;
  // Whether https URLs are to be called. Reading the CA bundle costs start-up
  // 30-40 ms for the system's; a client without a ca_file that is not told so
  // reads it at its first https call instead (a failure then fails that call).
  bool expect_https = false;
};

struct client_result {
  enum class outcome { response, connect_failed, timeout, io_error, invalid_url };
  outcome result = outcome::io_error;
  unsigned status = 0;
  std::vector<header> headers;
  std::string body;
  std::string error;  // human-readable, for logs
};

using client_callback = std::function<void(client_result)>;

class client {
public:
  explicit client(const client_options& opts = {});
  // Stops: pending calls complete with io_error, threads joined. No callback
  // runs after it returned.
  ~client();  // NOLINT(bugprone-exception-escape): a throw terminates, on purpose (client.cpp)

  client(const client&) = delete;
  client& operator=(const client&) = delete;

  // `base` like "http://127.0.0.1:8081" or "https://users.internal" (TLS 1.2+,
  // the certificate checked against options.ca_file and the host name);
  // target like "/api/v1/users/7". Only posts work: never blocks on I/O.
  // Safe to call from any thread concurrently.
  // The callback runs exactly once, on one of the client's I/O threads, and
  // must not block. Exception: after stop() it runs at once, on the caller's
  // thread, with io_error.
  void request(const std::string& method, const base_url& base, const std::string& target,
               const std::vector<header>& headers, std::string body, client_callback done);

  // Idempotent. Completes pending calls with io_error and joins the threads
  // (unless called from one of them: see client.cpp).
  void stop();

  // Keep-alive connections currently parked in the idle pool (all hosts).
  std::size_t idle_connections() const;

  struct impl;  // public only so that client.cpp's helpers can name it

private:
  std::shared_ptr<impl> impl_;
};

}  // namespace svc::http
