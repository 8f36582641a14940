#include "e2e/http_client.hpp"

#include <array>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <stdexcept>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

namespace e2e {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

std::string lower(std::string_view s) {
  std::string out{s};
  for (auto& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// With SVC_E2E_RESPONSES naming a file, each exchange is appended to it as one
// JSON line, for docs/api/check_responses.sh: every response the suites receive
// is checked against the OpenAPI documents (ctest's api_responses_conform).
void record_exchange(const bhttp::request<bhttp::string_body>& req, const bhttp::response<bhttp::string_body>& res) {
  static const char* const file = std::getenv("SVC_E2E_RESPONSES");
  if (file == nullptr || *file == '\0')
    return;
  nlohmann::json headers = nlohmann::json::object();
  for (const auto& field : res) {
    std::string name{field.name_string()};
    for (auto& c : name)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    headers[name] = std::string{field.value()};
  }
  const nlohmann::json line{{"method", std::string{req.method_string()}},
                            {"target", std::string{req.target()}},
                            {"status", res.result_int()},
                            {"headers", headers},
                            {"body", res.body()}};
  static std::mutex mutex;
  std::lock_guard lock{mutex};
  std::ofstream{file, std::ios::app} << line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
}

reply to_reply(const bhttp::response<bhttp::string_body>& res) {
  reply r;
  r.status = res.result_int();
  for (const auto& field : res) {
    auto name = lower(field.name_string());
    auto [it, inserted] = r.headers.emplace(name, std::string{field.value()});
    if (!inserted)
      it->second += ", " + std::string{field.value()};
  }
  r.body = res.body();
  return r;
}

tcp::endpoint loopback(std::uint16_t port) { return {net::ip::make_address("127.0.0.1"), port}; }

// Runs the io_context until the pending operation completed (or its deadline fired).
void run(net::io_context& ioc) {
  ioc.restart();
  ioc.run();
}

}  // namespace

std::optional<reply> parse_response(std::string_view data, bool at_eof, std::size_t* used) {
  bhttp::response_parser<bhttp::string_body> parser;
  parser.eager(true);
  parser.body_limit(64 * 1024 * 1024);
  beast::error_code ec;
  std::size_t offset = 0;
  while (offset < data.size() && !parser.is_done()) {
    const auto n = parser.put(net::buffer(data.data() + offset, data.size() - offset), ec);
    if (ec == bhttp::error::need_more) {
      ec = {};
      break;
    }
    if (ec)
      return std::nullopt;
    offset += n;
    if (n == 0)
      break;
  }
  if (!parser.is_done() && at_eof && parser.got_some()) {
    parser.put_eof(ec);
    if (ec)
      return std::nullopt;
  }
  if (!parser.is_done())
    return std::nullopt;
  if (used)
    *used = offset;
  return to_reply(parser.get());
}

nlohmann::json reply::json() const { return nlohmann::json::parse(body); }

std::string reply::header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? std::string{} : it->second;
}

struct http_client::impl {
  impl(std::uint16_t p, std::chrono::milliseconds t) : port{p}, timeout{t} {}
  std::uint16_t port;
  std::chrono::milliseconds timeout;
  net::io_context ioc;
  std::optional<beast::tcp_stream> stream;
  beast::flat_buffer buffer;
  std::size_t answered_on_connection = 0;

  void close() {
    if (stream) {
      beast::error_code ignored;
      stream->socket().shutdown(tcp::socket::shutdown_both, ignored);
      stream->socket().close(ignored);
    }
    stream.reset();
    buffer.clear();
    answered_on_connection = 0;
  }

  void connect() {
    close();
    stream.emplace(ioc);
    beast::error_code result = beast::error::timeout;
    stream->expires_after(timeout);
    stream->async_connect(loopback(port), [&](beast::error_code ec) { result = ec; });
    run(ioc);
    if (result) {
      stream.reset();
      throw std::runtime_error("connect to 127.0.0.1:" + std::to_string(port) + ": " + result.message());
    }
  }
};

http_client::http_client(std::uint16_t port, std::chrono::milliseconds timeout)
    : impl_{std::make_unique<impl>(port, timeout)} {}

http_client::~http_client() { impl_->close(); }

bool http_client::connected() const { return impl_->stream.has_value(); }

reply http_client::request(std::string_view method, std::string_view target, std::string body,
                           header_map headers) {
  bhttp::request<bhttp::string_body> req;
  const auto verb = bhttp::string_to_verb(method);
  if (verb == bhttp::verb::unknown)
    req.method_string(method);
  else
    req.method(verb);
  req.target(target);
  req.version(11);
  req.set(bhttp::field::host, "127.0.0.1:" + std::to_string(impl_->port));
  bool has_content_type = false;
  for (const auto& [name, value] : headers) {
    req.set(name, value);
    has_content_type = has_content_type || lower(name) == "content-type";
  }
  if (!body.empty() && !has_content_type)
    req.set(bhttp::field::content_type, "application/json");
  req.body() = std::move(body);
  req.prepare_payload();

  const std::string what = std::string{method} + " " + std::string{target};
  for (int attempt = 0;; ++attempt) {
    if (!impl_->stream) {
      impl_->connect();
      ++connections_;
    }
    // A reused keep-alive connection may have been closed by the server meanwhile:
    // then (and only then) the request is sent once more on a new connection.
    const bool may_retry = attempt == 0 && impl_->answered_on_connection > 0;

    beast::error_code result = beast::error::timeout;
    impl_->stream->expires_after(impl_->timeout);
    bhttp::async_write(*impl_->stream, req, [&](beast::error_code ec, std::size_t) { result = ec; });
    run(impl_->ioc);
    if (result) {
      impl_->close();
      if (may_retry && result != beast::error::timeout)
        continue;
      throw std::runtime_error(what + ": write failed: " + result.message());
    }

    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    if (req.method() == bhttp::verb::head)
      parser.skip(true);
    result = beast::error::timeout;
    impl_->stream->expires_after(impl_->timeout);
    bhttp::async_read(*impl_->stream, impl_->buffer, parser, [&](beast::error_code ec, std::size_t) { result = ec; });
    run(impl_->ioc);
    if (result) {
      const bool nothing_read = !parser.got_some();
      impl_->close();
      if (result == beast::error::timeout)
        throw std::runtime_error(what + ": no complete response within " + std::to_string(impl_->timeout.count()) +
                                 " ms (hang?)");
      if (may_retry && nothing_read)
        continue;
      throw std::runtime_error(what + ": read failed: " + result.message());
    }
    auto res = parser.release();
    record_exchange(req, res);
    ++impl_->answered_on_connection;
    if (!res.keep_alive())
      impl_->close();
    return to_reply(res);
  }
}

raw_result raw_exchange(std::uint16_t port, std::string_view bytes, std::chrono::milliseconds timeout) {
  raw_result out;
  net::io_context ioc;
  beast::tcp_stream stream{ioc};
  stream.expires_after(timeout);  // one deadline for the whole exchange
  beast::error_code result = beast::error::timeout;
  stream.async_connect(loopback(port), [&](beast::error_code ec) { result = ec; });
  run(ioc);
  if (result)
    throw std::runtime_error("raw connect to 127.0.0.1:" + std::to_string(port) + ": " + result.message());

  std::string data{bytes};
  result = beast::error::timeout;
  net::async_write(stream, net::buffer(data), [&](beast::error_code ec, std::size_t) { result = ec; });
  run(ioc);
  // A write error (the server closed early) is no failure of its own: read what it said.

  std::array<char, 4096> chunk{};
  for (;;) {
    result = beast::error::timeout;
    std::size_t n = 0;
    stream.async_read_some(net::buffer(chunk), [&](beast::error_code ec, std::size_t got) {
      result = ec;
      n = got;
    });
    run(ioc);
    out.received.append(chunk.data(), n);
    if (result == beast::error::timeout) {
      out.timed_out = true;
      out.response = parse_response(out.received, false);
      break;
    }
    if (result) {
      out.closed = true;
      out.response = parse_response(out.received, true);
      break;
    }
    if ((out.response = parse_response(out.received, false)))
      break;
  }
  beast::error_code ignored;
  stream.socket().close(ignored);
  return out;
}

std::string url_encode(std::string_view value) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

}  // namespace e2e
