// HTTPS over loopback: http::server with a certificate (http/tls.hpp) against
// http::client and a bare OpenSSL client; certificates made by the openssl CLI.
#include "http/tls.hpp"

#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <string>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "http/client.hpp"
#include "http/envelope.hpp"
#include "http/server.hpp"
#include "support/raw_connection.hpp"
#include "support/test_util.hpp"

using namespace svc::http;
using namespace std::chrono_literals;
namespace fs = std::filesystem;
namespace net = boost::asio;
namespace ssl = boost::asio::ssl;

namespace {

// A self-signed certificate (its own CA) for CN=`name`, valid for `san`.
void make_certificate(const fs::path& cert, const fs::path& key, const std::string& name,
                      const std::string& san = "IP:127.0.0.1,DNS:localhost") {
  const auto command =
    "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=" +
    name + " -addext subjectAltName=" + san + " -keyout " + key.string() + " -out " +
    cert.string() + " 2>/dev/null";
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
}

struct tls_fixture : ::testing::Test {
  fs::path dir = fs::temp_directory_path() / ("svc-tls-test-" + std::to_string(::getpid()));
  fs::path cert = dir / "cert.pem";
  fs::path key = dir / "key.pem";
  std::shared_ptr<tls_certificate> certificate;
  std::unique_ptr<server> srv;

  void SetUp() override {
    fs::create_directories(dir);
    make_certificate(cert, key, "first");
    certificate = std::make_shared<tls_certificate>(cert.string(), key.string());
    server_options opts;
    opts.host = "127.0.0.1";
    opts.tls = certificate;
    srv = std::make_unique<server>(opts, [](request&& req, responder respond) {
      respond(ok_response(nlohmann::json{{"target", req.target}}));
    });
    srv->start();
  }
  void TearDown() override {
    srv.reset();
    fs::remove_all(dir);
  }

  std::string base() const { return "https://127.0.0.1:" + std::to_string(srv->port()); }
};

client_result call(const std::string& base, const std::string& ca_file) {
  client_options opts;
  opts.ca_file = ca_file;
  client c{opts};
  std::promise<client_result> done;
  c.request("GET", base_url::parse(base).value(), "/hello", {}, {},
            [&](client_result r) { done.set_value(std::move(r)); });
  return done.get_future().get();
}

// A bare TLS handshake: the CN of the certificate the server showed, or "" when
// the handshake failed. max_version: the newest TLS version the client offers.
std::string handshake_subject(std::uint16_t port, int max_version = 0) {
  net::io_context io;
  ssl::context ctx{ssl::context::tls_client};
  if (max_version != 0) {
    // Let the client speak old versions at all (OpenSSL 3 refuses them by default),
    // so that only the server's refusal can fail the handshake.
    SSL_CTX_set_security_level(ctx.native_handle(), 0);
    SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_VERSION);
    SSL_CTX_set_max_proto_version(ctx.native_handle(), max_version);
  }
  ssl::stream<net::ip::tcp::socket> stream{io, ctx};
  stream.next_layer().connect({net::ip::make_address("127.0.0.1"), port});
  boost::system::error_code ec;
  stream.handshake(ssl::stream_base::client, ec);
  if (ec)
    return {};
  X509* peer = SSL_get1_peer_certificate(stream.native_handle());
  std::array<char, 256> cn{};
  X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, cn.data(), cn.size());
  X509_free(peer);
  return cn.data();
}

TEST_F(tls_fixture, AnswersOverHttpsToAClientThatTrustsItsCertificate) {
  auto r = call(base(), cert.string());
  ASSERT_EQ(r.result, client_result::outcome::response) << r.error;
  EXPECT_EQ(r.status, 200u);
  EXPECT_NE(r.body.find("/hello"), std::string::npos) << r.body;
}

TEST_F(tls_fixture, AClientRefusesACertificateItsCaBundleDoesNotVouchFor) {
  make_certificate(dir / "other-ca.pem", dir / "other-key.pem", "someone-else");
  auto r = call(base(), (dir / "other-ca.pem").string());
  EXPECT_EQ(r.result, client_result::outcome::connect_failed);
  EXPECT_NE(r.error.find("TLS handshake"), std::string::npos) << r.error;
}

TEST_F(tls_fixture, AClientWithTheSystemsCasRefusesASelfSignedCertificate) {
  // No CA file and no https expected at construction: the system's bundle is
  // read at this first https call, and vouches for no self-signed certificate.
  auto r = call(base(), "");
  EXPECT_EQ(r.result, client_result::outcome::connect_failed);
  EXPECT_NE(r.error.find("TLS handshake"), std::string::npos) << r.error;
}

TEST_F(tls_fixture, AClientRefusesACertificateForAnotherHost) {
  // The certificate names 127.0.0.1 and localhost; 127.0.0.2 is the same server.
  auto r = call("https://127.0.0.2:" + std::to_string(srv->port()), cert.string());
  EXPECT_EQ(r.result, client_result::outcome::connect_failed) << r.error;
}

TEST_F(tls_fixture, PlainHttpOnTheTlsPortGetsNoHttpAnswer) {
  net::io_context io;
  net::ip::tcp::socket socket{io};
  socket.connect({net::ip::make_address("127.0.0.1"), srv->port()});
  net::write(socket, net::buffer(std::string{"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"}));
  std::string received;
  boost::system::error_code ec;
  std::array<char, 512> chunk{};
  while (!ec) {
    auto n = socket.read_some(net::buffer(chunk), ec);
    received.append(chunk.data(), n);
  }
  EXPECT_EQ(received.find("HTTP/1.1 200"), std::string::npos) << received;
  EXPECT_EQ(received.find("/hello"), std::string::npos) << "the request was served in plain text";
}

TEST_F(tls_fixture, AHandshakeThatStallsIsCutOffAfterTheHeaderTimeout) {
  server_options opts;
  opts.host = "127.0.0.1";
  opts.tls = certificate;
  opts.header_timeout = 1s;
  server strict{opts, [](request&&, responder respond) { respond(ok_response({})); }};
  strict.start();
  svc_test::raw_connection c{strict.port()};
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(c.send(std::string{"\x16\x03\x01", 3}));  // a ClientHello's first bytes, no more
  EXPECT_TRUE(c.wait_closed(6s));
  const auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_GE(waited, 900ms);
  EXPECT_LT(waited, 5s);
  EXPECT_TRUE(svc_test::poll_until([&] { return strict.open_connections() == 0; }, 5s, 10ms));
}

TEST_F(tls_fixture, SpeaksTls12AndNewerOnly) {
  EXPECT_EQ(handshake_subject(srv->port(), TLS1_1_VERSION), "");
  EXPECT_EQ(handshake_subject(srv->port(), TLS1_2_VERSION), "first");
  EXPECT_EQ(handshake_subject(srv->port()), "first");
}

TEST_F(tls_fixture, ARenewedCertificateIsServedWithoutARestart) {
  ASSERT_EQ(handshake_subject(srv->port()), "first");
  // Renewed the way certificate tools do it: new files moved into place.
  make_certificate(dir / "new-cert.pem", dir / "new-key.pem", "renewed");
  fs::rename(dir / "new-key.pem", key);
  fs::rename(dir / "new-cert.pem", cert);
  // The files are looked at once a second at most.
  std::string seen;
  for (int i = 0; i < 30 && seen != "renewed"; ++i) {
    std::this_thread::sleep_for(100ms);
    seen = handshake_subject(srv->port());
  }
  EXPECT_EQ(seen, "renewed");
  EXPECT_EQ(call(base(), cert.string()).status, 200u);
}

TEST_F(tls_fixture, AKeyThatIsNotTheCertificatesIsRefusedAtStartAndKeptOutAtReload) {
  make_certificate(dir / "other-cert.pem", dir / "other-key.pem", "other");
  try {
    tls_certificate mismatched{cert.string(), (dir / "other-key.pem").string()};
    ADD_FAILURE() << "a key that does not belong to the certificate was taken";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string{e.what()}.find("does not belong"), std::string::npos) << e.what();
  }
  EXPECT_THROW((tls_certificate{(dir / "missing.pem").string(), key.string()}), std::runtime_error);

  // At reload: the previous certificate stays, and the error is told.
  std::promise<std::string> told;
  tls_certificate watched{cert.string(), key.string(),
                          [&](const std::string& m) { told.set_value(m); }};
  const auto before = watched.current();
  std::this_thread::sleep_for(1100ms);
  fs::copy_file(dir / "other-key.pem", key, fs::copy_options::overwrite_existing);
  EXPECT_EQ(watched.current(), before);
  auto message = told.get_future();
  ASSERT_EQ(message.wait_for(0s), std::future_status::ready);
  EXPECT_NE(message.get().find("does not belong"), std::string::npos);
}

}  // namespace
