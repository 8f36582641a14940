#include "http/tls.hpp"

#include <chrono>
#include <filesystem>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <system_error>

#include <boost/asio/ssl/context.hpp>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

namespace svc::http {
namespace {

namespace ssl = boost::asio::ssl;
namespace fs = std::filesystem;

void require_tls12(ssl::context& ctx) {
  ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                  ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                  ssl::context::single_dh_use);
  SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION);
}

std::shared_ptr<ssl::context> load_server_context(const std::string& cert_file,
                                                  const std::string& key_file) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  require_tls12(*ctx);
  boost::system::error_code ec;
  ctx->use_certificate_chain_file(cert_file, ec);
  if (ec)
    throw std::runtime_error("cannot use the certificate in " + cert_file + ": " + ec.message());
  ctx->use_private_key_file(key_file, ssl::context::pem, ec);
  if ((ec &&
       ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == X509_R_KEY_VALUES_MISMATCH) ||
      (!ec && SSL_CTX_check_private_key(ctx->native_handle()) != 1))
    throw std::runtime_error("the private key in " + key_file +
                             " does not belong to the certificate in " + cert_file);
  if (ec)
    throw std::runtime_error("cannot use the private key in " + key_file + ": " + ec.message());
  return ctx;
}

// The files' modification times, to notice a change; nullopt when either cannot be read.
std::optional<std::pair<fs::file_time_type, fs::file_time_type>> stamps(const std::string& cert,
                                                                        const std::string& key) {
  std::error_code a;
  std::error_code b;
  auto cert_time = fs::last_write_time(cert, a);
  auto key_time = fs::last_write_time(key, b);
  if (a || b)
    return std::nullopt;
  return std::pair{cert_time, key_time};
}

}  // namespace

struct tls_certificate::impl {
  std::string cert_file;
  std::string key_file;
  error_sink on_reload_error;
  std::mutex mutex;  // guards the members below
  std::shared_ptr<ssl::context> context;
  std::optional<std::pair<fs::file_time_type, fs::file_time_type>> loaded_stamps;
  std::chrono::steady_clock::time_point next_check;
};

tls_certificate::tls_certificate(std::string cert_file, std::string key_file,
                                 error_sink on_reload_error)
    : impl_(std::make_unique<impl>()) {
  impl_->cert_file = std::move(cert_file);
  impl_->key_file = std::move(key_file);
  impl_->on_reload_error = std::move(on_reload_error);
  impl_->loaded_stamps = stamps(impl_->cert_file, impl_->key_file);
  impl_->context = load_server_context(impl_->cert_file, impl_->key_file);
  impl_->next_check = std::chrono::steady_clock::now() + std::chrono::seconds{1};
}

tls_certificate::~tls_certificate() = default;

std::shared_ptr<ssl::context> tls_certificate::current() {
  auto& m = *impl_;
  std::lock_guard lock{m.mutex};
  const auto now = std::chrono::steady_clock::now();
  if (now < m.next_check)
    return m.context;
  m.next_check = now + std::chrono::seconds{1};
  auto seen = stamps(m.cert_file, m.key_file);
  if (!seen || seen == m.loaded_stamps)
    return m.context;  // unchanged, or in the middle of being replaced: look again later
  try {
    m.context = load_server_context(m.cert_file, m.key_file);
    m.loaded_stamps = seen;
  } catch (const std::exception& e) {
    // A certificate written before its key is a mismatch for a moment: the next
    // look (a second on) loads the pair once both are there. Told once per change.
    m.loaded_stamps = seen;
    if (m.on_reload_error)
      m.on_reload_error(e.what());
  }
  return m.context;
}

std::shared_ptr<ssl::context> tls_client_context(const std::string& ca_file) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  require_tls12(*ctx);
  boost::system::error_code ec;
  if (ca_file.empty())
    ctx->set_default_verify_paths(ec);
  else
    ctx->load_verify_file(ca_file, ec);
  if (ec)
    throw std::runtime_error("cannot use the CA bundle " +
                             (ca_file.empty() ? std::string{"(system default)"} : ca_file) + ": " +
                             ec.message());
  ctx->set_verify_mode(ssl::verify_peer);
  return ctx;
}

}  // namespace svc::http
