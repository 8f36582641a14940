// http::client against tiny real servers on loopback. Waits are bounded so a
// broken client fails a test instead of hanging it; no assertion on timings.
#include "http/client.hpp"

#include <condition_variable>
#include <future>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http.hpp>
#include <gtest/gtest.h>

#include "support/fake_server.hpp"

using namespace svc::http;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using beast_request = svc_test::fake_server::request;
using beast_response = svc_test::fake_server::response;
using namespace std::chrono_literals;
using outcome = client_result::outcome;

namespace {

// Collects callback results; counts every invocation so "exactly once" shows.
struct collector {
  std::mutex mutex;
  std::condition_variable cv;
  std::vector<client_result> results;
  std::vector<std::thread::id> threads;

  client_callback callback() {
    return [this](client_result r) {
      std::lock_guard lock{mutex};
      results.push_back(std::move(r));
      threads.push_back(std::this_thread::get_id());
      cv.notify_all();
    };
  }
  bool wait_for(std::size_t n, std::chrono::milliseconds limit = 10s) {
    std::unique_lock lock{mutex};
    return cv.wait_for(lock, limit, [&] { return results.size() >= n; });
  }
  std::size_t count() {
    std::lock_guard lock{mutex};
    return results.size();
  }
};

std::optional<beast_response> routes(const beast_request& req) {
  beast_response res{bhttp::status::ok, 11};
  res.set("Content-Type", "application/json");
  if (req.target() == "/api/v1/users/7") {
    res.set("X-Test", "yes");
    res.body() = R"({"success":true,"data":{"id":7}})";
  } else if (req.target() == "/echo") {  // the request's headers, one per line
    for (const auto& f : req)
      res.body() += std::string{f.name_string()} + ": " + std::string{f.value()} + "\n";
  } else if (req.target() == "/big") {
    res.body() = std::string(2048, 'x');
  } else if (req.target() == "/silent") {
    return std::nullopt;
  } else {
    res.result(bhttp::status::not_found);
    res.body() = R"({"success":false})";
  }
  return res;
}

struct client_test : ::testing::Test {
  svc_test::fake_server server{routes};
  base_url base = base_url::parse("http://127.0.0.1:" + std::to_string(server.port())).value();
  collector got;

  client_result call(client& c, std::string target, std::string method = "GET",
                     std::string url = {}) {
    collector one;
    c.request(std::move(method), url.empty() ? base : base_url::parse(url).value(),
              std::move(target), {}, {}, one.callback());
    EXPECT_TRUE(one.wait_for(1)) << "callback never ran";
    return one.results.empty() ? client_result{} : one.results.front();
  }
};

const std::string* find(const client_result& r, std::string_view name) {
  for (auto& h : r.headers)
    if (h.name == name)
      return &h.value;
  return nullptr;
}

std::uint16_t unused_port() {
  net::io_context ioc;
  tcp::acceptor a{ioc, {net::ip::make_address("127.0.0.1"), 0}};
  return a.local_endpoint().port();  // closed on return: nothing listens there
}

}  // namespace

TEST_F(client_test, get_returns_status_body_and_headers) {
  client c;
  auto r = call(c, "/api/v1/users/7");
  ASSERT_EQ(r.result, outcome::response) << r.error;
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.body, R"({"success":true,"data":{"id":7}})");
  ASSERT_NE(find(r, "X-Test"), nullptr);
  EXPECT_EQ(*find(r, "X-Test"), "yes");
  EXPECT_EQ(*find(r, "Content-Type"), "application/json");
}

TEST_F(client_test, not_found_is_a_response_not_an_error) {
  client c;
  auto r = call(c, "/api/v1/users/999");
  EXPECT_EQ(r.result, outcome::response) << r.error;
  EXPECT_EQ(r.status, 404u);
  EXPECT_EQ(r.body, R"({"success":false})");
}

TEST_F(client_test, sends_host_keep_alive_and_caller_headers) {
  client c;
  c.request("GET", base, "/echo", {{"X-Request-ID", "req-42"}}, {}, got.callback());
  ASSERT_TRUE(got.wait_for(1));
  auto& r = got.results[0];
  ASSERT_EQ(r.result, outcome::response) << r.error;
  auto host = "Host: 127.0.0.1:" + std::to_string(server.port()) + "\n";
  EXPECT_NE(r.body.find(host), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("Connection: keep-alive\n"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("X-Request-ID: req-42\n"), std::string::npos) << r.body;
}

TEST_F(client_test, callback_runs_on_a_client_thread) {
  client c;
  c.request("GET", base, "/api/v1/users/7", {}, {}, got.callback());
  ASSERT_TRUE(got.wait_for(1));
  EXPECT_NE(got.threads[0], std::this_thread::get_id());
}

TEST_F(client_test, resolves_host_names) {
  client c;
  auto r = call(c, "/api/v1/users/7", "GET", "http://localhost:" + std::to_string(server.port()));
  EXPECT_EQ(r.result, outcome::response) << r.error;
  EXPECT_EQ(r.status, 200u);
}

TEST_F(client_test, reuses_a_keep_alive_connection) {
  client c;
  EXPECT_EQ(call(c, "/api/v1/users/7").status, 200u);
  EXPECT_EQ(c.idle_connections(), 1u);
  EXPECT_EQ(call(c, "/api/v1/users/8").status, 404u);
  EXPECT_EQ(server.accepted(), 1u);
  EXPECT_EQ(server.requests(), 2u);
  EXPECT_EQ(c.idle_connections(), 1u);
}

TEST_F(client_test, a_callback_may_make_the_next_call_on_the_same_connection) {
  client c;
  c.request("GET", base, "/api/v1/users/7", {}, {}, [&](client_result) {
    c.request("GET", base, "/api/v1/users/7", {}, {}, got.callback());
  });
  ASSERT_TRUE(got.wait_for(1));
  EXPECT_EQ(got.results[0].status, 200u);
  EXPECT_EQ(server.accepted(), 1u);  // parked before the first callback ran
}

TEST_F(client_test, retries_once_when_the_server_closed_the_idle_connection) {
  client c;
  EXPECT_EQ(call(c, "/api/v1/users/7").status, 200u);
  ASSERT_EQ(c.idle_connections(), 1u);
  server.drop_connections();  // e.g. user-service restarted
  auto r = call(c, "/api/v1/users/7");
  EXPECT_EQ(r.result, outcome::response) << r.error;
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(server.accepted(), 2u);  // the retry's fresh connection
}

TEST_F(client_test, the_retry_happens_only_once) {
  client c;
  EXPECT_EQ(call(c, "/api/v1/users/7").status, 200u);
  server.drop_connections();
  server.close_on_request(true);  // the fresh connection fails too
  auto r = call(c, "/api/v1/users/7");
  EXPECT_EQ(r.result, outcome::io_error);
  EXPECT_FALSE(r.error.empty());
  EXPECT_EQ(server.accepted(), 2u);  // first call + one retry, no more
}

TEST_F(client_test, a_post_on_a_dead_idle_connection_is_not_retried) {
  client c;
  EXPECT_EQ(call(c, "/api/v1/users/7").status, 200u);
  server.drop_connections();
  auto r = call(c, "/api/v1/users", "POST");
  EXPECT_EQ(r.result, outcome::io_error);
  EXPECT_EQ(server.accepted(), 1u);
}

TEST_F(client_test, refused_connection_is_connect_failed) {
  client c;
  auto r = call(c, "/api/v1/users/7", "GET", "http://127.0.0.1:" + std::to_string(unused_port()));
  EXPECT_EQ(r.result, outcome::connect_failed);
  EXPECT_FALSE(r.error.empty());
}

TEST_F(client_test, a_server_that_never_answers_times_out) {
  client_options o;
  o.total_timeout = 300ms;
  client c{o};
  auto r = call(c, "/silent");
  EXPECT_EQ(r.result, outcome::timeout) << r.error;
  EXPECT_EQ(server.requests(), 1u);
  EXPECT_EQ(c.idle_connections(), 0u);  // a timed-out connection is not reused
}

// A listener whose backlog is full and that never accepts: the SYN goes
// unanswered, so only the connect timeout can end the call.
TEST_F(client_test, an_unanswered_connect_times_out) {
  net::io_context ioc;
  tcp::acceptor full{ioc};
  full.open(tcp::v4());
  full.bind({net::ip::make_address("127.0.0.1"), 0});
  full.listen(0);
  tcp::socket filler{ioc};
  filler.connect(full.local_endpoint());
  client_options o;
  o.connect_timeout = 200ms;
  client c{o};
  auto url = "http://127.0.0.1:" + std::to_string(full.local_endpoint().port());
  auto r = call(c, "/api/v1/users/7", "GET", url);
  EXPECT_EQ(r.result, outcome::timeout) << r.error;
  EXPECT_NE(r.error.find("connect"), std::string::npos) << r.error;
}

TEST_F(client_test, response_body_over_the_limit_is_an_error) {
  client_options o;
  o.max_response_bytes = 1024;
  client c{o};
  auto r = call(c, "/big");
  EXPECT_EQ(r.result, outcome::io_error);
  EXPECT_NE(r.error.find("1024"), std::string::npos) << r.error;
}

TEST(base_url, parses_what_a_neighbour_url_may_be_and_nothing_else) {
  for (const std::string url :
       {"htps://127.0.0.1:80", "ftp://127.0.0.1", "127.0.0.1:80", "http://", "http://:80",
        "http://host:0", "http://host:99999", "http://host:", "http://u@host", "http://[::1",
        "http://a b", "http://host/?q=1", "http://host/#f"}) {
    std::string why;
    EXPECT_FALSE(base_url::parse(url, &why)) << url;
    EXPECT_FALSE(why.empty()) << url;
  }
  auto plain = base_url::parse("HTTP://Users.Internal:8081/svc/").value();
  EXPECT_FALSE(plain.tls);
  EXPECT_EQ(plain.port, "8081");
  EXPECT_EQ(plain.host_header, "Users.Internal:8081");
  EXPECT_EQ(plain.prefix, "/svc");
  auto tls = base_url::parse("https://[::1]").value();
  EXPECT_TRUE(tls.tls);
  EXPECT_EQ(tls.host, "::1");
  EXPECT_EQ(tls.port, "443");
  EXPECT_EQ(tls.host_header, "[::1]");
  EXPECT_EQ(base_url::parse("http://10.0.0.7:80").value().host_header, "10.0.0.7");
}

TEST_F(client_test, bad_targets_are_invalid_url) {
  client c;
  EXPECT_EQ(call(c, "api/v1/users/7").result, outcome::invalid_url);
  EXPECT_EQ(call(c, "/a b").result, outcome::invalid_url);
  EXPECT_EQ(server.accepted(), 0u);
}

TEST_F(client_test, header_injection_is_refused) {
  client c;
  c.request("GET", base, "/echo", {{"X-Request-ID", "a\r\nX-Evil: 1"}}, {}, got.callback());
  ASSERT_TRUE(got.wait_for(1));
  EXPECT_EQ(got.results[0].result, outcome::io_error);
  EXPECT_EQ(server.accepted(), 0u);
}

TEST_F(client_test, many_concurrent_requests_all_complete_exactly_once) {
  constexpr int n = 200;
  client_options o;
  o.threads = 2;
  client c{o};
  std::vector<std::atomic<int>> seen(n);
  std::atomic<int> done{0};
  std::vector<std::thread> callers;
  for (int t = 0; t < 4; ++t)  // request() from several threads at once
    callers.emplace_back([&, t] {
      for (int i = t; i < n; i += 4)
        c.request("GET", base, "/api/v1/users/7", {}, {}, [&, i](client_result r) {
          if (r.result == outcome::response && r.status == 200)
            ++seen[i];
          else
            seen[i] += 1000;  // shows up as a failure below
          ++done;
        });
    });
  for (auto& t : callers)
    t.join();
  for (int waited = 0; done < n && waited < 1000; ++waited)
    std::this_thread::sleep_for(10ms);
  ASSERT_EQ(done.load(), n);
  std::this_thread::sleep_for(50ms);  // a second invocation would show now
  for (int i = 0; i < n; ++i)
    EXPECT_EQ(seen[i].load(), 1) << "request " << i;
  EXPECT_LE(c.idle_connections(), o.max_idle_per_host);
  EXPECT_GE(c.idle_connections(), 1u);
}

TEST_F(client_test, destructor_completes_calls_in_flight) {
  auto c = std::make_unique<client>();
  for (int i = 0; i < 10; ++i)
    c->request("GET", base, "/silent", {}, {}, got.callback());
  for (int waited = 0; server.requests() < 10 && waited < 500; ++waited)
    std::this_thread::sleep_for(10ms);
  ASSERT_EQ(server.requests(), 10u);
  auto destroyed = std::async(std::launch::async, [&] { c.reset(); });
  ASSERT_EQ(destroyed.wait_for(10s), std::future_status::ready) << "~client() hangs";
  ASSERT_EQ(got.count(), 10u);  // all of them, before ~client() returned
  for (auto& r : got.results)
    EXPECT_EQ(r.result, outcome::io_error);
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(got.count(), 10u);
}

TEST_F(client_test, request_after_stop_completes_at_once_with_io_error) {
  client c;
  c.stop();
  c.request("GET", base, "/api/v1/users/7", {}, {}, got.callback());
  ASSERT_EQ(got.count(), 1u);
  EXPECT_EQ(got.results[0].result, outcome::io_error);
  c.stop();  // idempotent
}

// The breaker actor's state may die in one of the client's own callbacks.
TEST_F(client_test, destroyed_from_its_own_callback) {
  auto c = std::make_unique<client>();
  c->request("GET", base, "/silent", {}, {}, got.callback());
  for (int waited = 0; server.requests() < 1 && waited < 500; ++waited)
    std::this_thread::sleep_for(10ms);
  std::promise<std::size_t> pending_done_before_return;
  c->request("GET", base, "/api/v1/users/7", {}, {}, [&](client_result) {
    c.reset();
    pending_done_before_return.set_value(got.count());
  });
  auto f = pending_done_before_return.get_future();
  ASSERT_EQ(f.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(f.get(), 1u);
  EXPECT_EQ(got.results[0].result, outcome::io_error);
}

// The threads of a client destroyed from its own callback cannot be joined there;
// they are joined later (the finished ones whenever the next such client stops,
// the rest at exit, before OpenSSL's exit-time cleanup), never left running while
// the process exits. Several in a row, each with two threads, so that the later
// ones join the earlier ones' threads; under ThreadSanitizer a thread still
// tearing its client down at exit shows as a race with OPENSSL_cleanup.
TEST_F(client_test, clients_destroyed_from_their_own_callbacks_one_after_another) {
  client_options two_threads;
  two_threads.threads = 2;
  for (int i = 0; i < 4; ++i) {
    auto c = std::make_unique<client>(two_threads);
    std::promise<client_result> done;
    c->request("GET", base, "/api/v1/users/7", {}, {}, [&](client_result r) {
      c.reset();
      done.set_value(std::move(r));
    });
    auto f = done.get_future();
    ASSERT_EQ(f.wait_for(10s), std::future_status::ready) << "client " << i;
    EXPECT_EQ(f.get().status, 200u);
  }
}
