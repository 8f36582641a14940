// http::server over loopback: requests, keep-alive, server-made errors.
#include "http/server.hpp"

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "async_answerer.hpp"
#include "http/envelope.hpp"
#include "support/raw_connection.hpp"

using namespace svc::http;
using namespace svc::http::test;
using namespace svc_test;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

// Echoes the request as JSON, answering from another thread after 10 ms.
struct echo_fixture : ::testing::Test {
  async_answerer answers;  // declared first: joined after the server stopped
  std::atomic<int> calls{0};
  server_options opts = [] {
    server_options o;
    o.host = "127.0.0.1";
    o.max_body_bytes = 100;
    o.response_timeout = 1s;
    return o;
  }();
  std::mutex held_mutex;
  std::vector<responder> held;  // responders of /hang: kept, never called
  std::unique_ptr<server> srv;

  void SetUp() override {
    srv = std::make_unique<server>(opts, [this](request&& req, responder respond) {
      ++calls;
      if (req.target == "/throw")
        throw std::runtime_error("boom: SELECT secret FROM table");
      if (req.target == "/drop")
        return;                    // the responder dies unused
      if (req.target == "/now") {  // answered during the handler call
        respond(ok_response({{"inline", true}}));
        return;
      }
      if (req.target.rfind("/now/", 0) == 0) {  // the same, telling which request it was
        respond(ok_response({{"target", req.target}}));
        return;
      }
      if (req.target == "/big") {  // more than the socket buffers take at once
        response big;
        big.headers.push_back({"Content-Type", "text/plain"});
        big.body.resize(std::size_t{16} << 20);
        for (std::size_t i = 0; i < big.body.size(); ++i)
          big.body[i] = static_cast<char>('a' + (i / 7) % 26);
        respond(std::move(big));
        return;
      }
      if (req.target == "/hang") {
        std::lock_guard lock{held_mutex};
        held.push_back(std::move(respond));
        return;
      }
      answers.later(10ms, [req = std::move(req), respond] {
        json headers = json::object();
        for (auto& h : req.headers)
          headers[h.name] = h.value;
        auto resp = ok_response({{"method", req.method},
                                 {"target", req.target},
                                 {"body", req.body},
                                 {"remote_ip", req.remote_ip},
                                 {"keep_alive", req.keep_alive},
                                 {"headers", headers}});
        resp.set_header("X-Custom", "yes");
        respond(std::move(resp));
        respond(error_response(error_code::conflict, "second answer is ignored", "x"));
      });
    });
    srv->start();
  }
  void TearDown() override { srv->stop(); }
};

}  // namespace

TEST_F(echo_fixture, answers_from_another_thread) {
  ASSERT_NE(srv->port(), 0);
  raw_connection c{srv->port()};
  auto req = make_request(bhttp::verb::post, "/api/v1/users?x=1", R"({"a":1})");
  req.set("X-Request-ID", "abc");
  auto res = c.round_trip(req);
  EXPECT_EQ(res.result_int(), 200u);
  EXPECT_EQ(res[bhttp::field::content_type], "application/json");
  EXPECT_EQ(res[bhttp::field::content_length], std::to_string(res.body().size()));
  EXPECT_EQ(res["X-Custom"], "yes");
  EXPECT_EQ(res.find(bhttp::field::server), res.end());
  EXPECT_TRUE(res.keep_alive());
  auto body = json::parse(res.body());
  EXPECT_EQ(body["success"], true);
  EXPECT_EQ(body["data"]["method"], "POST");
  EXPECT_EQ(body["data"]["target"], "/api/v1/users?x=1");
  EXPECT_EQ(body["data"]["body"], R"({"a":1})");
  EXPECT_EQ(body["data"]["remote_ip"], "127.0.0.1");
  EXPECT_EQ(body["data"]["headers"]["X-Request-ID"], "abc");
}

TEST_F(echo_fixture, keep_alive_serves_two_requests_on_one_connection) {
  raw_connection c{srv->port()};
  auto first = c.round_trip(make_request(bhttp::verb::get, "/one"));
  auto second = c.round_trip(make_request(bhttp::verb::get, "/two"));
  EXPECT_EQ(json::parse(first.body())["data"]["target"], "/one");
  EXPECT_EQ(json::parse(second.body())["data"]["target"], "/two");
  EXPECT_TRUE(second.keep_alive());
  EXPECT_EQ(srv->open_connections(), 1u);
}

TEST_F(echo_fixture, pipelined_requests_are_answered_in_order) {
  raw_connection c{srv->port()};
  c.send(
    "GET /p1 HTTP/1.1\r\nHost: x\r\n\r\n"
    "POST /p2 HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi"
    "GET /p3 HTTP/1.1\r\nHost: x\r\n\r\n");
  for (const char* target : {"/p1", "/p2", "/p3"}) {
    beast_response res;
    ASSERT_FALSE(c.read(res, 3s)) << target;
    EXPECT_EQ(nlohmann::json::parse(res.body())["data"]["target"], target);
  }
}

TEST_F(echo_fixture, many_pipelined_requests_answered_at_once_come_back_in_order) {
  // Each answer is written during its handler call; the next request is already
  // read. Thousands of them in one go must neither overflow the stack nor reorder.
  constexpr int count = 3000;
  std::string burst;
  for (int i = 0; i < count; ++i)
    burst += "GET /now/" + std::to_string(i) + " HTTP/1.1\r\nHost: x\r\n\r\n";
  raw_connection c{srv->port()};
  ASSERT_TRUE(c.send(burst));
  for (int i = 0; i < count; ++i) {
    beast_response res;
    auto ec = c.read(res, 5s);
    ASSERT_FALSE(ec) << i << ": " << ec.message() << "\n"
                     << c.received().substr(c.received().size() - c.unread(), 400);
    ASSERT_EQ(json::parse(res.body())["data"]["target"], "/now/" + std::to_string(i));
  }
  EXPECT_EQ(c.round_trip(make_request(bhttp::verb::get, "/now")).result_int(), 200u);
}

TEST_F(echo_fixture, a_response_larger_than_the_socket_buffers_arrives_whole) {
  raw_connection c{srv->port()};
  ASSERT_FALSE(c.send_request(make_request(bhttp::verb::get, "/big")));
  beast_response res;
  ASSERT_FALSE(c.read(res, 20s));
  ASSERT_EQ(res.body().size(), std::size_t{16} << 20);
  std::size_t wrong = 0;
  for (std::size_t i = 0; i < res.body().size(); ++i)
    wrong += res.body()[i] != static_cast<char>('a' + (i / 7) % 26);
  EXPECT_EQ(wrong, 0u);
  // The connection goes on after the queued rest of the write.
  EXPECT_EQ(c.round_trip(make_request(bhttp::verb::get, "/now")).result_int(), 200u);
}

TEST_F(echo_fixture, head_gets_headers_without_body) {
  raw_connection c{srv->port()};
  c.send_request(make_request(bhttp::verb::head, "/h"));
  beast_response head;
  ASSERT_FALSE(c.read_head_response(head));
  EXPECT_EQ(head.result_int(), 200u);
  EXPECT_NE(head[bhttp::field::content_length], "0");
  // The connection is still in step: the next answer parses.
  auto next = c.round_trip(make_request(bhttp::verb::get, "/after-head"));
  EXPECT_EQ(json::parse(next.body())["data"]["target"], "/after-head");
}

TEST_F(echo_fixture, connection_close_is_honoured) {
  raw_connection c{srv->port()};
  auto req = make_request(bhttp::verb::get, "/bye");
  req.keep_alive(false);
  auto res = c.round_trip(req);
  EXPECT_EQ(res.result_int(), 200u);
  EXPECT_FALSE(res.keep_alive());
  EXPECT_EQ(res[bhttp::field::connection], "close");
  EXPECT_TRUE(c.wait_closed(3s));
}

TEST_F(echo_fixture, oversize_content_length_is_refused_before_the_body) {
  raw_connection c{srv->port()};
  // Only the headers: the server must answer without waiting for 1000 bytes.
  c.send(
    "POST /api/v1/users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    "X-Request-ID: big-1\r\nContent-Length: 1000\r\n\r\n");
  beast_response res;
  ASSERT_FALSE(c.read(res, 3s));
  EXPECT_EQ(res.result_int(), 413u);
  EXPECT_EQ(res["X-Request-ID"], "big-1");
  EXPECT_FALSE(res.keep_alive());
  auto body = json::parse(res.body());
  EXPECT_EQ(body["success"], false);
  EXPECT_EQ(body["error"]["code"], "PAYLOAD_TOO_LARGE");
  EXPECT_EQ(body["request_id"], "big-1");
  EXPECT_EQ(calls.load(), 0);
  EXPECT_TRUE(c.wait_closed(3s));
}

TEST_F(echo_fixture, body_at_the_limit_is_accepted) {
  raw_connection c{srv->port()};
  auto res = c.round_trip(make_request(bhttp::verb::post, "/x", std::string(100, 'a')));
  EXPECT_EQ(res.result_int(), 200u);
}

TEST_F(echo_fixture, oversize_chunked_body_is_refused) {
  raw_connection c{srv->port()};
  c.send(
    "POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    "50\r\n" +
    std::string(80, 'a') + "\r\n50\r\n" + std::string(80, 'b') + "\r\n0\r\n\r\n");
  beast_response res;
  ASSERT_FALSE(c.read(res, 3s));
  EXPECT_EQ(res.result_int(), 413u);
  EXPECT_EQ(json::parse(res.body())["error"]["code"], "PAYLOAD_TOO_LARGE");
}

TEST_F(echo_fixture, garbage_request_line_is_400_and_closed) {
  raw_connection c{srv->port()};
  c.send("THIS IS NOT HTTP\r\n\r\n");
  beast_response res;
  ASSERT_FALSE(c.read(res, 3s));
  EXPECT_EQ(res.result_int(), 400u);
  auto body = json::parse(res.body());
  EXPECT_EQ(body["error"]["code"], "BAD_REQUEST");
  EXPECT_FALSE(body["request_id"].get<std::string>().empty());
  EXPECT_EQ(res["X-Request-ID"], body["request_id"].get<std::string>());
  EXPECT_EQ(res[bhttp::field::content_type], "application/json");
  EXPECT_FALSE(res.keep_alive());
  EXPECT_TRUE(c.wait_closed(3s));
  EXPECT_EQ(calls.load(), 0);
}

TEST_F(echo_fixture, oversize_headers_are_431) {
  raw_connection c{srv->port()};
  c.send("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20000, 'a') + "\r\n\r\n");
  beast_response res;
  ASSERT_FALSE(c.read(res, 3s));
  EXPECT_EQ(res.result_int(), 431u);
  EXPECT_EQ(json::parse(res.body())["error"]["code"], "REQUEST_HEADER_FIELDS_TOO_LARGE");
  EXPECT_TRUE(c.wait_closed(3s));
  EXPECT_EQ(calls.load(), 0);
}

TEST_F(echo_fixture, oversize_request_target_is_414) {
  raw_connection c{srv->port()};
  c.send("GET /x?q=" + std::string(20000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n");
  beast_response res;
  ASSERT_FALSE(c.read(res, 3s));
  EXPECT_EQ(res.result_int(), 414u);
  EXPECT_EQ(json::parse(res.body())["error"]["code"], "URI_TOO_LONG");
  EXPECT_TRUE(c.wait_closed(3s));
  EXPECT_EQ(calls.load(), 0);
}

TEST_F(echo_fixture, expect_100_continue_is_answered) {
  raw_connection c{srv->port()};
  c.send("POST /x HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
  beast_response interim;
  // Beast reads the 100 as a (bodyless) response of its own.
  ASSERT_FALSE(c.read(interim, 3s));
  EXPECT_EQ(interim.result_int(), 100u);
  c.send("hello");
  beast_response res;
  ASSERT_FALSE(c.read(res, 3s));
  EXPECT_EQ(json::parse(res.body())["data"]["body"], "hello");
}

TEST_F(echo_fixture, throwing_handler_gives_500_and_server_keeps_serving) {
  {
    raw_connection c{srv->port()};
    auto req = make_request(bhttp::verb::get, "/throw");
    req.set("X-Request-ID", "t-1");
    auto res = c.round_trip(req);
    EXPECT_EQ(res.result_int(), 500u);
    EXPECT_EQ(res["X-Request-ID"], "t-1");
    auto body = json::parse(res.body());
    EXPECT_EQ(body["error"]["code"], "INTERNAL_ERROR");
    EXPECT_EQ(body["request_id"], "t-1");
    EXPECT_EQ(res.body().find("SELECT"), std::string::npos);
    // The same connection goes on.
    EXPECT_EQ(c.round_trip(make_request(bhttp::verb::get, "/after")).result_int(), 200u);
  }
  for (int i = 0; i < 4; ++i) {  // more than the I/O threads: none of them died
    raw_connection c{srv->port()};
    EXPECT_EQ(c.round_trip(make_request(bhttp::verb::get, "/throw")).result_int(), 500u);
  }
  raw_connection c{srv->port()};
  EXPECT_EQ(c.round_trip(make_request(bhttp::verb::get, "/ok")).result_int(), 200u);
}

TEST_F(echo_fixture, dropped_responder_gives_500) {
  raw_connection c{srv->port()};
  auto res = c.round_trip(make_request(bhttp::verb::get, "/drop"));
  EXPECT_EQ(res.result_int(), 500u);
  EXPECT_EQ(json::parse(res.body())["error"]["code"], "INTERNAL_ERROR");
  // The count drops when the write completes, which may be just after the client read.
  EXPECT_TRUE(srv->drain(2s));
}

TEST_F(echo_fixture, handler_that_never_answers_gets_503_after_the_response_timeout) {
  raw_connection c{srv->port()};
  auto req = make_request(bhttp::verb::get, "/hang");
  req.set("X-Request-ID", "hang-1");
  auto started = std::chrono::steady_clock::now();
  auto res = c.round_trip(req);
  EXPECT_GE(std::chrono::steady_clock::now() - started, 900ms);
  EXPECT_EQ(res.result_int(), 503u);
  EXPECT_EQ(res["X-Request-ID"], "hang-1");
  EXPECT_EQ(json::parse(res.body())["error"]["code"], "SERVICE_UNAVAILABLE");
  // A late answer is dropped, and the connection goes on.
  {
    std::lock_guard lock{held_mutex};
    held.back()(error_response(error_code::conflict, "too late", "x"));
  }
  EXPECT_EQ(c.round_trip(make_request(bhttp::verb::get, "/after")).result_int(), 200u);
}

TEST_F(echo_fixture, inline_answers_need_no_timer_and_later_requests_still_time_out) {
  raw_connection c{srv->port()};
  for (int i = 0; i < 3; ++i) {
    auto res = c.round_trip(make_request(bhttp::verb::get, "/now"));
    EXPECT_EQ(res.result_int(), 200u);
    EXPECT_EQ(json::parse(res.body())["data"]["inline"], true);
  }
  // The response timer is armed only for an answer still owed after the
  // handler call: the next request on the same connection gets its 503.
  auto started = std::chrono::steady_clock::now();
  auto res = c.round_trip(make_request(bhttp::verb::get, "/hang"));
  EXPECT_GE(std::chrono::steady_clock::now() - started, 900ms);
  EXPECT_EQ(res.result_int(), 503u);
  EXPECT_EQ(c.round_trip(make_request(bhttp::verb::get, "/now")).result_int(), 200u);
}

TEST(server_threads, each_connection_stays_on_one_io_thread_and_connections_spread) {
  std::mutex m;
  std::map<std::string, std::set<std::thread::id>> threads_of;  // by connection
  server_options o;
  o.host = "127.0.0.1";
  o.threads = 2;
  server srv{o, [&](request&& req, responder respond) {
               {
                 std::lock_guard lock{m};
                 threads_of[*req.find_header("X-Conn")].insert(std::this_thread::get_id());
               }
               respond(ok_response(json::object()));
             }};
  srv.start();
  {
    std::vector<std::unique_ptr<raw_connection>> clients;
    for (int i = 0; i < 4; ++i)
      clients.push_back(std::make_unique<raw_connection>(srv.port()));
    for (int round = 0; round < 5; ++round)
      for (int i = 0; i < 4; ++i) {
        auto req = make_request(bhttp::verb::get, "/t");
        req.set("X-Conn", std::to_string(i));
        EXPECT_EQ(clients[i]->round_trip(req).result_int(), 200u);
      }
  }
  srv.stop();
  std::set<std::thread::id> all;
  ASSERT_EQ(threads_of.size(), 4u);
  for (auto& [conn, ids] : threads_of) {
    EXPECT_EQ(ids.size(), 1u) << "connection " << conn << " ran on several threads";
    all.insert(ids.begin(), ids.end());
  }
  EXPECT_EQ(all.size(), 2u);  // round robin: both I/O threads serve connections
}

TEST_F(echo_fixture, http10_keep_alive_and_close) {
  raw_connection c{srv->port()};
  auto req = make_request(bhttp::verb::get, "/old");
  req.version(10);
  auto res = c.round_trip(req);
  EXPECT_EQ(res.version(), 10u);
  EXPECT_FALSE(res.keep_alive());
  EXPECT_TRUE(c.wait_closed(3s));
}

TEST(server_responses, framing_and_content_type_rules) {
  server srv{server_options{"127.0.0.1"}, [](request&& req, responder respond) {
               response resp;
               if (req.target == "/empty") {
                 resp.status = 204;
                 resp.body = "dropped: a 204 has no body";
               } else if (req.target == "/unchanged") {
                 resp.status = 304;
                 resp.set_header("Content-Length", "5");
                 resp.set_header("Transfer-Encoding", "chunked");
               } else if (req.target == "/text") {
                 resp.set_header("Content-Type", "text/plain");
                 resp.body = "hi";
               } else if (req.target == "/close") {
                 resp.set_header("Connection", "close");
               } else if (req.target == "/bogus") {
                 resp.status = 42;
                 resp.set_header("Content-Length", "999");
                 resp.set_header("X-Evil", "a\r\nInjected: 1");
                 // Names that are no field names are dropped, not sent.
                 for (const char* name : {"X-Bad:Name", "X-Bad Name", "", "X-Bad\r\nInjected2"})
                   resp.set_header(name, "1");
                 resp.set_header("X-Fine", "1");
                 resp.body = "{}";
               }
               respond(std::move(resp));
             }};
  srv.start();
  raw_connection c{srv.port()};
  auto empty = c.round_trip(make_request(bhttp::verb::delete_, "/empty"));
  EXPECT_EQ(empty.result_int(), 204u);
  EXPECT_TRUE(empty.body().empty());
  EXPECT_EQ(empty.find(bhttp::field::content_type), empty.end());
  // RFC 9110 8.6 / RFC 9112 6.1: no Content-Length, no Transfer-Encoding on a 204 or 304.
  EXPECT_EQ(empty.find(bhttp::field::content_length), empty.end());
  EXPECT_EQ(empty.find(bhttp::field::transfer_encoding), empty.end());
  c.send_request(make_request(bhttp::verb::head, "/empty"));
  beast_response head;
  ASSERT_FALSE(c.read_head_response(head));
  EXPECT_EQ(head.result_int(), 204u);
  EXPECT_EQ(head.find(bhttp::field::content_length), head.end());
  auto unchanged = c.round_trip(make_request(bhttp::verb::get, "/unchanged"));
  EXPECT_EQ(unchanged.result_int(), 304u);
  EXPECT_EQ(unchanged.find(bhttp::field::content_length), unchanged.end());
  EXPECT_EQ(unchanged.find(bhttp::field::transfer_encoding), unchanged.end());
  auto text = c.round_trip(make_request(bhttp::verb::get, "/text"));
  EXPECT_EQ(text[bhttp::field::content_type], "text/plain");
  auto nothing = c.round_trip(make_request(bhttp::verb::get, "/nothing"));
  EXPECT_EQ(nothing.result_int(), 200u);
  EXPECT_EQ(nothing.find(bhttp::field::content_type), nothing.end());
  EXPECT_EQ(nothing[bhttp::field::content_length], "0");
  auto bogus = c.round_trip(make_request(bhttp::verb::get, "/bogus"));
  EXPECT_EQ(bogus.result_int(), 500u);
  EXPECT_EQ(bogus[bhttp::field::content_length], "2");
  EXPECT_EQ(bogus.find("Injected"), bogus.end());
  EXPECT_EQ(bogus.find("X-Bad"), bogus.end());
  EXPECT_EQ(bogus.find("Injected2"), bogus.end());
  EXPECT_EQ(bogus["X-Fine"], "1");
  auto closing = c.round_trip(make_request(bhttp::verb::get, "/close"));
  EXPECT_FALSE(closing.keep_alive());
  EXPECT_TRUE(c.wait_closed(3s));
  srv.stop();
}
