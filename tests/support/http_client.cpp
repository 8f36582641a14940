#include "support/http_client.hpp"

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <stdexcept>

#include <boost/beast/core/error.hpp>

#include "support/raw_connection.hpp"

namespace svc_test {

namespace beast = boost::beast;

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
void record_exchange(const beast_request& req, const beast_response& res) {
  static const char* const file = std::getenv("SVC_E2E_RESPONSES");
  if (file == nullptr || *file == '\0')
    return;
  nlohmann::json headers = nlohmann::json::object();
  for (const auto& field : res)
    headers[lower(field.name_string())] = std::string{field.value()};
  const nlohmann::json line{{"method", std::string{req.method_string()}},
                            {"target", std::string{req.target()}},
                            {"status", res.result_int()},
                            {"headers", headers},
                            {"body", res.body()}};
  static std::mutex mutex;
  std::lock_guard lock{mutex};
  std::ofstream{file, std::ios::app}
    << line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
}

}  // namespace

nlohmann::json reply::json() const {
  return nlohmann::json::parse(body);
}

std::string reply::header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? std::string{} : it->second;
}

struct http_client::impl {
  impl(std::uint16_t p, std::chrono::milliseconds t) : port{p}, timeout{t} {}
  std::uint16_t port;
  std::chrono::milliseconds timeout;
  std::optional<raw_connection> conn;
  std::size_t answered_on_connection = 0;

  void close() {
    conn.reset();
    answered_on_connection = 0;
  }

  void connect() {
    close();
    try {
      conn.emplace(port, timeout);
    } catch (const boost::system::system_error& e) {
      throw std::runtime_error("connect to 127.0.0.1:" + std::to_string(port) + ": " +
                               e.code().message());
    }
  }
};

http_client::http_client(std::uint16_t port, std::chrono::milliseconds timeout)
    : impl_{std::make_unique<impl>(port, timeout)} {
}

http_client::~http_client() {
  impl_->close();
}

bool http_client::connected() const {
  return impl_->conn.has_value();
}

reply http_client::request(std::string_view method, std::string_view target, std::string body,
                           header_map headers) {
  beast_request req;
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
    if (!impl_->conn) {
      impl_->connect();
      ++connections_;
    }
    auto& conn = *impl_->conn;
    // A reused keep-alive connection may have been closed by the server meanwhile:
    // then (and only then) the request is sent once more on a new connection.
    const bool may_retry = attempt == 0 && impl_->answered_on_connection > 0;

    if (auto ec = conn.send_request(req, impl_->timeout)) {
      impl_->close();
      if (may_retry && ec != beast::error::timeout)
        continue;
      throw std::runtime_error(what + ": write failed: " + ec.message());
    }

    beast_response res;
    if (auto ec = conn.read(res, impl_->timeout, req.method() == bhttp::verb::head)) {
      const bool nothing_read = conn.unread() == 0;
      impl_->close();
      if (ec == beast::error::timeout)
        throw std::runtime_error(what + ": no complete response within " +
                                 std::to_string(impl_->timeout.count()) + " ms (hang?)");
      if (may_retry && nothing_read)
        continue;
      throw std::runtime_error(what + ": read failed: " + ec.message());
    }
    conn.forget_consumed();
    record_exchange(req, res);
    ++impl_->answered_on_connection;
    if (!res.keep_alive())
      impl_->close();
    return to_reply(res);
  }
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

}  // namespace svc_test
