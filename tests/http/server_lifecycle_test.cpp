// http::server over loopback: timeouts, limits, draining and stopping.
#include "http/server.hpp"

#include <atomic>
#include <chrono>
#include <future>
#include <string>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "async_answerer.hpp"
#include "http/envelope.hpp"
#include "http/io_threads.hpp"
#include "support/raw_connection.hpp"
#include "support/test_util.hpp"

using namespace svc::http;
using namespace svc::http::test;
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

// Holds the responders of parked requests until the test releases them.
struct parking {
  std::mutex mutex;
  std::vector<responder> parked;
  std::condition_variable arrived;

  request_handler handler() {
    return [this](request&&, responder respond) {
      std::lock_guard lock{mutex};
      parked.push_back(std::move(respond));
      arrived.notify_all();
    };
  }
  bool wait_for(std::size_t n) {
    std::unique_lock lock{mutex};
    return arrived.wait_for(lock, 5s, [&] { return parked.size() >= n; });
  }
  void release_all() {
    std::vector<responder> out;
    {
      std::lock_guard lock{mutex};
      out.swap(parked);
    }
    for (auto& r : out)
      r(ok_response(nlohmann::json::object()));
  }
};

}  // namespace

TEST(server_lifecycle, slow_headers_are_cut_off_after_header_timeout) {
  auto opts = loopback();
  opts.header_timeout = 1s;
  server srv{opts, answer_ok};
  srv.start();
  raw_connection c{srv.port()};
  auto start = std::chrono::steady_clock::now();
  c.send("GET / HTTP/1.1\r\nHost: x\r\n");  // never finished
  EXPECT_TRUE(c.wait_closed(5s));
  auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_GE(waited, 900ms);
  EXPECT_LT(waited, 4s);
  EXPECT_TRUE(poll_until([&] { return srv.open_connections() == 0; }, 5s, 10ms));
}

TEST(server_lifecycle, silent_new_connection_is_cut_off_after_header_timeout) {
  auto opts = loopback();
  opts.header_timeout = 1s;
  server srv{opts, answer_ok};
  srv.start();
  raw_connection c{srv.port()};
  EXPECT_TRUE(c.wait_closed(5s));
}

TEST(server_lifecycle, idle_keep_alive_connection_is_closed_after_idle_timeout) {
  auto opts = loopback();
  opts.header_timeout = 5s;
  opts.idle_timeout = 1s;
  server srv{opts, answer_ok};
  srv.start();
  raw_connection c{srv.port()};
  EXPECT_EQ(c.round_trip(make_request(bhttp::verb::get, "/")).result_int(), 200u);
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(c.wait_closed(5s));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 4s);
}

TEST(server_lifecycle, connections_over_the_limit_are_closed_at_once) {
  auto opts = loopback();
  opts.max_connections = 1;
  server srv{opts, answer_ok};
  srv.start();
  raw_connection first{srv.port()};
  EXPECT_EQ(first.round_trip(make_request(bhttp::verb::get, "/")).result_int(), 200u);
  raw_connection second{srv.port()};
  EXPECT_TRUE(second.wait_closed(3s));
  EXPECT_EQ(srv.open_connections(), 1u);
  EXPECT_EQ(first.round_trip(make_request(bhttp::verb::get, "/")).result_int(), 200u);
}

TEST(server_lifecycle, bind_failure_throws_a_clear_error) {
  server first{loopback(), answer_ok};
  first.start();
  auto opts = loopback();
  opts.port = first.port();
  server second{opts, answer_ok};
  try {
    second.start();
    FAIL() << "bound a port already in use";
  } catch (const std::runtime_error& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("127.0.0.1:" + std::to_string(first.port())), std::string::npos) << what;
    EXPECT_NE(what.find("bind"), std::string::npos) << what;
  }
  auto bad = loopback();
  bad.host = "no-such-host.invalid";
  server third{bad, answer_ok};
  EXPECT_THROW(third.start(), std::runtime_error);
  EXPECT_THROW(first.start(), std::logic_error);
}

TEST(server_lifecycle, stop_accepting_then_drain_waits_for_in_flight_request) {
  parking park;
  server srv{loopback(), park.handler()};
  srv.start();
  auto port = srv.port();
  raw_connection busy{port};
  raw_connection idle{port};
  EXPECT_TRUE(poll_until([&] { return srv.open_connections() == 2; }, 5s, 10ms));
  busy.send_request(make_request(bhttp::verb::post, "/slow", "{}"));
  ASSERT_TRUE(park.wait_for(1));
  EXPECT_EQ(srv.in_flight(), 1u);

  srv.stop_accepting();
  // No new connections; the idle one is closed, the busy one is not.
  EXPECT_THROW(raw_connection{port}, boost::system::system_error);
  EXPECT_TRUE(idle.wait_closed(3s));
  EXPECT_FALSE(srv.drain(100ms));

  std::promise<bool> drained;
  std::thread waiter{[&] { drained.set_value(srv.drain(5s)); }};
  std::this_thread::sleep_for(100ms);
  park.release_all();
  beast_response res;
  ASSERT_FALSE(busy.read(res, 5s));
  EXPECT_EQ(res.result_int(), 200u);
  EXPECT_FALSE(res.keep_alive());  // draining: the client should go elsewhere
  waiter.join();
  EXPECT_TRUE(drained.get_future().get());
  EXPECT_EQ(srv.in_flight(), 0u);
  EXPECT_TRUE(busy.wait_closed(3s));
  srv.stop();
  srv.stop();  // idempotent
}

TEST(server_lifecycle, drain_with_nothing_in_flight_is_immediate) {
  server srv{loopback(), answer_ok};
  srv.start();
  srv.stop_accepting();
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(srv.drain(5s));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
}

TEST(server_lifecycle, stop_closes_connections_and_late_responses_are_dropped) {
  parking park;
  auto srv = std::make_unique<server>(loopback(), park.handler());
  srv->start();
  raw_connection c{srv->port()};
  c.send_request(make_request(bhttp::verb::get, "/never"));
  ASSERT_TRUE(park.wait_for(1));
  srv->stop();
  EXPECT_TRUE(c.wait_closed(3s));
  EXPECT_EQ(srv->open_connections(), 0u);
  EXPECT_EQ(srv->in_flight(), 0u);
  srv.reset();         // the server is gone...
  park.release_all();  // ...and its responders do nothing harmful
}

TEST(server_lifecycle, stop_without_start_and_destructor_are_safe) {
  server never{loopback(), answer_ok};
  never.stop();
  server running{loopback(), answer_ok};
  running.start();
  raw_connection c{running.port()};
  EXPECT_EQ(c.round_trip(make_request(bhttp::verb::get, "/")).result_int(), 200u);
  // ~server stops it with the connection still open.
}

TEST(server_lifecycle, many_concurrent_clients) {
  async_answerer answers;
  auto opts = loopback();
  server srv{opts, [&](request&& req, responder respond) {
               answers.later(1ms, [respond, target = req.target] {
                 respond(ok_response({{"target", target}}));
               });
             }};
  srv.start();
  std::vector<std::thread> clients;
  std::atomic<int> ok{0};
  for (int i = 0; i < 8; ++i)
    clients.emplace_back([&, i] {
      raw_connection c{srv.port()};
      for (int j = 0; j < 20; ++j) {
        auto target = "/c" + std::to_string(i) + "/" + std::to_string(j);
        auto res = c.round_trip(make_request(bhttp::verb::get, target));
        if (nlohmann::json::parse(res.body())["data"]["target"] == target)
          ++ok;
      }
    });
  for (auto& t : clients)
    t.join();
  EXPECT_EQ(ok.load(), 160);
  srv.stop();
}

// The services share their I/O threads between the server and the actor
// scheduler: the handler runs on one of them, stop() closes every connection
// (a parked one too) and waits for its sessions without stopping the threads,
// which keep serving other work after the server is gone.
TEST(server_lifecycle, a_server_on_shared_io_threads_stops_without_stopping_them) {
  auto io = std::make_shared<io_threads>(2, "shared");
  io->start();
  parking park;
  std::atomic<bool> handled_on_shared_thread{false};
  auto srv = std::make_unique<server>(
    loopback(),
    [&](request&& req, responder respond) {
      handled_on_shared_thread = io->current_index().has_value();
      if (req.target == "/park")
        park.handler()(std::move(req), std::move(respond));
      else
        respond(ok_response(nlohmann::json::object()));
    },
    io);
  srv->start();
  raw_connection quick{srv->port()};
  EXPECT_EQ(quick.round_trip(make_request(bhttp::verb::get, "/")).result_int(), 200u);
  EXPECT_TRUE(handled_on_shared_thread.load());
  raw_connection parked{srv->port()};
  parked.send_request(make_request(bhttp::verb::get, "/park"));
  ASSERT_TRUE(park.wait_for(1));
  srv->stop();
  EXPECT_TRUE(parked.wait_closed(3s));
  EXPECT_TRUE(quick.wait_closed(3s));
  EXPECT_EQ(srv->open_connections(), 0u);
  srv.reset();
  park.release_all();  // late answers for a server that is gone: dropped
  std::promise<bool> ran;
  boost::asio::post(io->context(1), [&] { ran.set_value(io->current_index() == 1u); });
  auto done = ran.get_future();
  ASSERT_EQ(done.wait_for(5s), std::future_status::ready);
  EXPECT_TRUE(done.get());
  io->stop();
}

// The one deadline per connection (http/session.cpp, set_deadline): its timer is
// armed lazily, so these check both ways it could go wrong. A deadline moved later
// must not let the timer end a busy connection at the old time; a deadline moved
// earlier must re-arm the timer, or a client could hold the connection for the
// longer one.
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
