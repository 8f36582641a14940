// http::server's one deadline per connection (http/session.cpp, set_deadline):
// its timer is armed lazily, so these check both ways it could go wrong. A
// deadline moved later must not let the timer end a busy connection at the old
// time; a deadline moved earlier must re-arm the timer, or a client could hold
// the connection for the longer one.
#include "http/server.hpp"

#include <chrono>
#include <string>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "http/envelope.hpp"
#include "support/raw_connection.hpp"
#include "support/test_util.hpp"

using namespace svc::http;
using namespace svc_test;
using namespace std::chrono_literals;
namespace net = boost::asio;

namespace {

server_options loopback() {
  server_options o;
  o.host = "127.0.0.1";
  return o;
}

void answer_ok(request&&, responder respond) {
  respond(ok_response(nlohmann::json::object()));
}

constexpr auto simple_get = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";

}  // namespace

TEST(server_deadline, a_busy_keep_alive_connection_outlives_its_first_deadline) {
  // The timer is first armed for the connection's first header (1 s); every
  // request after that moves the deadline later without re-arming it.
  auto opts = loopback();
  opts.header_timeout = 1s;
  opts.idle_timeout = 2s;
  server srv{opts, answer_ok};
  srv.start();
  raw_connection c{srv.port()};
  const auto until = std::chrono::steady_clock::now() + 3500ms;
  int served = 0;
  while (std::chrono::steady_clock::now() < until) {
    ASSERT_TRUE(c.send(simple_get));
    auto r = c.read_response(2s);
    ASSERT_TRUE(r.has_value()) << "closed after " << served << " requests";
    EXPECT_EQ(r->status, 200u);
    ++served;
    std::this_thread::sleep_for(300ms);
  }
  EXPECT_GE(served, 8);
  EXPECT_FALSE(c.closed());
  // And the idle timeout still holds once the client goes quiet.
  EXPECT_TRUE(c.wait_closed(5s));
}

TEST(server_deadline, a_later_requests_slow_header_is_cut_off_after_the_header_timeout) {
  // After a response the deadline is the idle timeout (10 s); the next request's
  // first bytes bring it forward to the header timeout (1 s).
  auto opts = loopback();
  opts.header_timeout = 1s;
  opts.idle_timeout = 10s;
  server srv{opts, answer_ok};
  srv.start();
  raw_connection c{srv.port()};
  ASSERT_TRUE(c.send(simple_get));
  ASSERT_TRUE(c.read_response(2s).has_value());
  // Past the connection's first deadline: the timer now waits for the idle one.
  std::this_thread::sleep_for(1500ms);
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(c.send("GET / HTTP/1.1\r\nHost: x\r\n"));  // never finished
  EXPECT_TRUE(c.wait_closed(6s));
  const auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_GE(waited, 900ms);
  EXPECT_LT(waited, 5s);  // well before the idle timeout
}

TEST(server_deadline, a_client_that_does_not_read_its_response_is_closed_after_the_idle_timeout) {
  auto opts = loopback();
  opts.idle_timeout = 1s;
  server srv{opts, [](request&&, responder respond) {
               response big;
               big.body.assign(std::size_t{64} << 20, 'x');  // far more than the socket buffers
               respond(std::move(big));
             }};
  srv.start();
  net::io_context io;
  net::ip::tcp::socket client{io};
  client.open(net::ip::tcp::v4());
  client.set_option(net::socket_base::receive_buffer_size{4096});
  client.connect({net::ip::make_address("127.0.0.1"), srv.port()});
  net::write(client, net::buffer(std::string{simple_get}));
  EXPECT_TRUE(poll_until([&] { return srv.open_connections() == 1; }, 5s, 10ms));
  // Never read: the server's write stalls, and its deadline closes the connection.
  EXPECT_TRUE(poll_until([&] { return srv.open_connections() == 0; }, 8s, 20ms));
}
