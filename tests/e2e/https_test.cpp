// HTTPS end to end: user-service serving TLS_CERT_FILE / TLS_KEY_FILE, its probes
// on the plain management listener, and order-service calling it over HTTPS with
// USER_SERVICE_CA_FILE. Certificates are made by the openssl CLI.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <gtest/gtest.h>

#include "e2e/e2e_fixture.hpp"
#include "e2e/orders_fixture.hpp"
#include "support/pg_env.hpp"

namespace e2e {
namespace {

namespace fs = std::filesystem;
namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

// One request over TLS, trusting `ca_file`: the status and body.
std::pair<unsigned, std::string> https_request(std::uint16_t port, const std::string& ca_file,
                                               bhttp::verb method, const std::string& target,
                                               const std::string& body = "") {
  net::io_context io;
  ssl::context ctx{ssl::context::tls_client};
  ctx.load_verify_file(ca_file);
  ctx.set_verify_mode(ssl::verify_peer);
  beast::ssl_stream<beast::tcp_stream> stream{io, ctx};
  stream.set_verify_callback(ssl::host_name_verification("127.0.0.1"));
  beast::get_lowest_layer(stream).expires_after(std::chrono::seconds{10});
  beast::get_lowest_layer(stream).connect(
    net::ip::tcp::endpoint{net::ip::make_address("127.0.0.1"), port});
  stream.handshake(ssl::stream_base::client);
  bhttp::request<bhttp::string_body> req{method, target, 11};
  req.set(bhttp::field::host, "127.0.0.1");
  if (!body.empty()) {
    req.set(bhttp::field::content_type, "application/json");
    req.body() = body;
    req.prepare_payload();
  }
  bhttp::write(stream, req);
  beast::flat_buffer buffer;
  bhttp::response<bhttp::string_body> res;
  bhttp::read(stream, buffer, res);
  return {res.result_int(), res.body()};
}

class Https : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    dir_ = fs::temp_directory_path() / ("svc-e2e-https-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    for (const auto* name : {"users", "stranger"}) {
      const auto command =
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 "
        "-subj /CN=" +
        std::string{name} + " -addext subjectAltName=IP:127.0.0.1 -keyout " +
        (dir_ / (std::string{name} + "-key.pem")).string() + " -out " +
        (dir_ / (std::string{name} + "-cert.pem")).string() + " 2>/dev/null";
      ASSERT_EQ(std::system(command.c_str()), 0) << command;
    }
    users_.port = free_port();
    management_port_ = free_port();
    auto env = instance_env(users_.port, fresh_database("e2e_https_users"));
    env["TLS_CERT_FILE"] = cert("users");
    env["TLS_KEY_FILE"] = (dir_ / "users-key.pem").string();
    env["MANAGEMENT_PORT"] = std::to_string(management_port_);
    users_.process = std::make_unique<service_process>(
      service_process::options{.executable = user_service_binary,
                               .args = {},
                               .env = std::move(env),
                               .log_name = "e2e_https_users"});
    users_.process->wait_ready(management_port_);
  }
  static void TearDownTestSuite() {
    users_ = {};
    fs::remove_all(dir_);
  }
  static std::string cert(const std::string& name) {
    return (dir_ / (name + "-cert.pem")).string();
  }

  static inline fs::path dir_;
  static inline running_service users_;
  static inline std::uint16_t management_port_ = 0;
};

TEST_F(Https, UserServiceServesItsApiOverTlsAndItsProbesOnThePlainManagementPort) {
  auto [status, body] = https_request(users_.port, cert("users"), bhttp::verb::post,
                                      "/api/v1/users",
                                      R"({"name":"Tls User","email":"tls.user@example.com"})");
  EXPECT_EQ(status, 201u) << body;
  auto [get_status, get_body] = https_request(users_.port, cert("users"), bhttp::verb::get,
                                              "/api/v1/users");
  EXPECT_EQ(get_status, 200u);
  EXPECT_NE(get_body.find("tls.user@example.com"), std::string::npos) << get_body;
  // Plain HTTP on the TLS port is not served.
  http_client plain{users_.port, std::chrono::seconds{3}};
  EXPECT_THROW(plain.get("/api/v1/users"), std::runtime_error);
  http_client management{management_port_};
  EXPECT_EQ(management.get("/health/ready").status, 200u);
}

TEST_F(Https, OrderServiceValidatesUsersOverHttpsWithItsCaFile) {
  auto [status, body] = https_request(
    users_.port, cert("users"), bhttp::verb::post, "/api/v1/users",
    R"({"name":"Order Owner","email":"order.owner@example.com"})");
  ASSERT_EQ(status, 201u) << body;
  const auto user_id = nlohmann::json::parse(body)["data"]["id"].get<long long>();
  const auto https_url = "https://127.0.0.1:" + std::to_string(users_.port);

  auto trusting = start_order_service(
    "e2e_https_orders", users_.port,
    {{"USER_SERVICE_URL", https_url}, {"USER_SERVICE_CA_FILE", cert("users")}});
  http_client orders{trusting.port};
  auto order = orders.post(
    "/api/v1/orders",
    {{"user_id", user_id}, {"product_name", "Cable"}, {"quantity", 1}, {"price", 2.5}});
  ASSERT_EQ(order.status, 201u) << describe(order);
  EXPECT_EQ(order.json()["data"]["user_check"], "validated") << describe(order);

  // A CA that did not sign user-service's certificate: the call is refused, and
  // the order is taken unvalidated, as with user-service unreachable.
  auto distrusting = start_order_service(
    "e2e_https_orders_2", users_.port,
    {{"USER_SERVICE_URL", https_url}, {"USER_SERVICE_CA_FILE", cert("stranger")}});
  http_client other{distrusting.port};
  auto unvalidated = other.post(
    "/api/v1/orders",
    {{"user_id", user_id}, {"product_name", "Cable"}, {"quantity", 1}, {"price", 2.5}});
  ASSERT_EQ(unvalidated.status, 201u) << describe(unvalidated);
  EXPECT_EQ(unvalidated.json()["data"]["user_check"], "pending") << describe(unvalidated);
}

TEST_F(Https, ACertificateThatCannotBeUsedStopsStartUpWithOneLineNamingTheSetting) {
  const auto port = free_port();
  auto env = instance_env(port, svc_test::database_url("e2e_https_users"));
  env["TLS_CERT_FILE"] = cert("users");
  env["TLS_KEY_FILE"] = (dir_ / "stranger-key.pem").string();  // not the certificate's key
  service_process refused{service_process::options{.executable = user_service_binary,
                                                   .args = {},
                                                   .env = std::move(env),
                                                   .log_name = "e2e_https_refused"}};
  EXPECT_EQ(refused.wait_exit(std::chrono::seconds{15}), 2);
  const auto log = refused.log_text();
  EXPECT_NE(log.find("TLS_CERT_FILE"), std::string::npos) << log;
  EXPECT_NE(log.find("does not belong"), std::string::npos) << log;
}

}  // namespace
}  // namespace e2e
