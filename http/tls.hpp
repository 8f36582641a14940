// TLS for the server's listener and for calls to a neighbour over HTTPS (OpenSSL
// through Boost.Asio's ssl::context). TLS 1.2 is the oldest version either side
// speaks. Asio stays in tls.cpp; this header only names the context.
#pragma once

#include <functional>
#include <memory>
#include <string>

namespace boost::asio::ssl {
class context;
}

namespace svc::http {

// The server's certificate (chain) and private key, PEM files read again when
// either changes, so that a renewed certificate is served without a restart. A
// connection keeps the context it was accepted with.
class tls_certificate {
public:
  using error_sink = std::function<void(const std::string& message)>;

  // Reads both files; throws std::runtime_error saying which file is unreadable or
  // that the key does not belong to the certificate. `on_reload_error` hears of a
  // later reload that failed (the previous certificate stays in use).
  tls_certificate(std::string cert_file, std::string key_file, error_sink on_reload_error = {});
  ~tls_certificate();
  tls_certificate(const tls_certificate&) = delete;
  tls_certificate& operator=(const tls_certificate&) = delete;

  // The context for a new connection. The files' modification times are looked
  // at no more than once a second; a change loads them again first.
  std::shared_ptr<boost::asio::ssl::context> current();

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

// A client context that verifies the server's certificate against the CA bundle
// in `ca_file` (empty: the system's default CAs). Throws std::runtime_error when
// the file cannot be used.
std::shared_ptr<boost::asio::ssl::context> tls_client_context(const std::string& ca_file);

}  // namespace svc::http
