// support/http_client.hpp: the synchronous HTTP/1.1 client of the tests.
//
// http_client: one keep-alive connection to 127.0.0.1:port, reopened when the
// server closed it. Every read and write has a deadline, so a hung server fails a
// test (the call throws) instead of blocking the suite. With SVC_E2E_RESPONSES
// naming a file, every exchange is appended to it as one JSON line, for
// docs/api/check_responses.sh (ctest api_responses_conform).
//
// raw_exchange(): bytes as they are over a fresh connection, for hostile input.
// A connection held open and written to byte by byte: raw_connection.hpp.
// No Beast in this header: the suites that include it stay light to compile.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace svc_test {

struct reply {
  unsigned status = 0;
  std::map<std::string, std::string> headers;  // lower-case names; repeated ones joined by ", "
  std::string body;

  // The body parsed as JSON; throws nlohmann::json::parse_error when it is not.
  nlohmann::json json() const;
  bool has_header(const std::string& lower_name) const { return headers.count(lower_name) != 0; }
  // The header's value, "" when absent.
  std::string header(const std::string& lower_name) const;
};

using header_map = std::map<std::string, std::string>;

class http_client {
public:
  explicit http_client(std::uint16_t port,
                       std::chrono::milliseconds timeout = std::chrono::seconds{10});
  ~http_client();
  http_client(const http_client&) = delete;
  http_client& operator=(const http_client&) = delete;

  // Sends one request and reads its response. A `content-type` of application/json
  // is added when `body` is not empty and `headers` sets none. Throws
  // std::runtime_error on timeout or a transport error.
  reply request(std::string_view method, std::string_view target, std::string body = "",
                header_map headers = {});

  reply get(std::string_view target, header_map headers = {}) {
    return request("GET", target, "", std::move(headers));
  }
  reply post(std::string_view target, const nlohmann::json& body, header_map headers = {}) {
    return request("POST", target, body.dump(), std::move(headers));
  }
  reply put(std::string_view target, const nlohmann::json& body, header_map headers = {}) {
    return request("PUT", target, body.dump(), std::move(headers));
  }
  reply del(std::string_view target, header_map headers = {}) {
    return request("DELETE", target, "", std::move(headers));
  }

  // How many TCP connections this client has opened so far.
  std::size_t connections_opened() const { return connections_; }
  // Whether the current connection is still open as far as the client knows.
  bool connected() const;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
  std::size_t connections_ = 0;
};

// Raw exchange over a fresh connection: sends `bytes` as they are, then reads
// until one complete HTTP response has arrived, the server closes, or `timeout`.
struct raw_result {
  std::string received;           // every byte read
  std::optional<reply> response;  // the first complete response in `received`
  bool closed = false;            // the server closed (or reset) the connection
  bool timed_out = false;         // nothing complete and no close before the deadline
};
raw_result raw_exchange(std::uint16_t port, std::string_view bytes,
                        std::chrono::milliseconds timeout = std::chrono::seconds{10});

// The first complete response in `data`; at_eof: nothing follows `data` (a
// response framed by the close is complete then). `used`, when given, gets the
// bytes that response took.
std::optional<reply> parse_response(std::string_view data, bool at_eof,
                                    std::size_t* used = nullptr);

// Every response in `data` (pipelined answers), in order; stops at the first
// incomplete or unparsable one.
std::vector<reply> parse_responses(std::string_view data);

// Percent-encodes a query parameter value.
std::string url_encode(std::string_view value);

}  // namespace svc_test
