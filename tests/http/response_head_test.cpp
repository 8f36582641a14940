// frame_response (http/response_head.hpp): the bytes a handler's response goes
// out as. Every result is read back with Beast's response parser, as a client
// would read it.
#include "http/response_head.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <gtest/gtest.h>

using namespace svc::http;
namespace bhttp = boost::beast::http;

namespace {

response with(unsigned status, std::vector<header> headers, std::string body = {}) {
  response r;
  r.status = status;
  r.headers = std::move(headers);
  r.body = std::move(body);
  return r;
}

// The framed bytes parsed as a client parses them; fails the test on a parse error.
bhttp::response<bhttp::string_body> parsed(const framed_response& f, bool head_request = false) {
  bhttp::response_parser<bhttp::string_body> parser;
  parser.eager(true);
  parser.skip(head_request);
  const std::string wire = f.head + f.body;
  boost::beast::error_code ec;
  auto used = parser.put(boost::asio::buffer(wire), ec);
  EXPECT_FALSE(ec) << ec.message() << "\n" << wire;
  EXPECT_EQ(used, wire.size()) << wire;
  EXPECT_TRUE(parser.is_done()) << wire;
  return parser.release();
}

std::size_t count(const bhttp::response<bhttp::string_body>& r, std::string_view name) {
  auto [first, last] = r.equal_range(name);
  return static_cast<std::size_t>(std::distance(first, last));
}

}  // namespace

TEST(response_head, a_json_answer_gets_its_status_line_type_and_length) {
  auto f = frame_response(with(201, {{"Location", "/api/v1/users/7"}}, R"({"id":7})"), {});
  EXPECT_EQ(f.head.rfind("HTTP/1.1 201 Created\r\n", 0), 0u) << f.head;
  EXPECT_TRUE(f.keep_alive);
  auto r = parsed(f);
  EXPECT_EQ(r.result_int(), 201u);
  EXPECT_EQ(r["Location"], "/api/v1/users/7");
  EXPECT_EQ(r["Content-Type"], "application/json");
  EXPECT_EQ(r["Content-Length"], "8");
  EXPECT_EQ(r.body(), R"({"id":7})");
  EXPECT_EQ(count(r, "Connection"), 0u);  // HTTP/1.1 keeps the connection by default
}

TEST(response_head, the_handlers_content_type_is_kept_and_an_empty_body_gets_none) {
  auto text = parsed(frame_response(with(200, {{"Content-Type", "text/plain"}}, "hi"), {}));
  EXPECT_EQ(text["Content-Type"], "text/plain");
  EXPECT_EQ(count(text, "Content-Type"), 1u);
  auto empty = parsed(frame_response(with(200, {}), {}));
  EXPECT_EQ(count(empty, "Content-Type"), 0u);
  EXPECT_EQ(empty["Content-Length"], "0");
}

TEST(response_head, no_content_and_not_modified_carry_neither_length_nor_body) {
  for (unsigned status : {204u, 304u}) {
    auto f = frame_response(with(status, {{"ETag", "\"3\""}}, "ignored"), {});
    EXPECT_TRUE(f.body.empty());
    auto r = parsed(f);
    EXPECT_EQ(r.result_int(), status);
    EXPECT_EQ(count(r, "Content-Length"), 0u) << status;
    EXPECT_EQ(count(r, "Content-Type"), 0u) << status;
    EXPECT_EQ(r["ETag"], "\"3\"");
  }
}

TEST(response_head, a_head_answer_has_the_length_of_the_body_it_would_have_had) {
  response_framing framing;
  framing.head_request = true;
  auto f = frame_response(with(200, {}, R"({"status":"ok"})"), framing);
  EXPECT_TRUE(f.body.empty());
  auto r = parsed(f, true);
  EXPECT_EQ(r["Content-Length"], "15");
  EXPECT_EQ(r["Content-Type"], "application/json");
}

TEST(response_head, statuses_that_are_no_final_answer_become_500) {
  for (unsigned status : {0u, 100u, 101u, 199u, 600u, 1000u}) {
    auto r = parsed(frame_response(with(status, {}, "{}"), {}));
    EXPECT_EQ(r.result_int(), 500u) << status;
  }
  auto r = parsed(frame_response(with(599, {}, "{}"), {}));
  EXPECT_EQ(r.result_int(), 599u);
}

TEST(response_head, framing_headers_of_the_handler_are_dropped) {
  auto f = frame_response(with(200,
                               {{"Content-Length", "999"},
                                {"transfer-encoding", "chunked"},
                                {"Connection", "upgrade"},
                                {"X-Kept", "yes"}},
                               "{}"),
                          {});
  EXPECT_TRUE(f.keep_alive);
  auto r = parsed(f);
  EXPECT_EQ(r["Content-Length"], "2");
  EXPECT_EQ(count(r, "Transfer-Encoding"), 0u);
  EXPECT_EQ(count(r, "Connection"), 0u);
  EXPECT_EQ(r["X-Kept"], "yes");
}

TEST(response_head, connection_close_from_the_handler_ends_the_connection) {
  auto f = frame_response(with(503, {{"connection", "Close"}}, "{}"), {});
  EXPECT_FALSE(f.keep_alive);
  auto r = parsed(f);
  EXPECT_EQ(r["Connection"], "close");
  EXPECT_FALSE(r.keep_alive());
}

TEST(response_head, keep_alive_is_told_as_each_http_version_expects) {
  response_framing framing;
  framing.keep_alive = false;
  auto closing = frame_response(with(200, {}, "{}"), framing);
  EXPECT_FALSE(closing.keep_alive);
  EXPECT_EQ(parsed(closing)["Connection"], "close");

  framing.version = 10;
  framing.keep_alive = true;
  auto old_kept = frame_response(with(200, {}, "{}"), framing);
  EXPECT_EQ(old_kept.head.rfind("HTTP/1.0 200 OK\r\n", 0), 0u) << old_kept.head;
  auto r = parsed(old_kept);
  EXPECT_EQ(r["Connection"], "keep-alive");
  EXPECT_TRUE(r.keep_alive());

  framing.keep_alive = false;
  auto old_closed = parsed(frame_response(with(200, {}, "{}"), framing));
  EXPECT_EQ(count(old_closed, "Connection"), 0u);  // HTTP/1.0 closes by default
  EXPECT_FALSE(old_closed.keep_alive());
}

TEST(response_head, a_value_cannot_start_a_header_or_a_body_of_its_own) {
  auto f = frame_response(
    with(200, {{"X-Echo", "a\r\nSet-Cookie: evil=1\r\n\r\n<html>"}, {"X-Next", "b\nc"}}, "{}"), {});
  auto r = parsed(f);
  EXPECT_EQ(count(r, "Set-Cookie"), 0u);
  EXPECT_EQ(r["X-Echo"], "a  Set-Cookie: evil=1    <html>");
  EXPECT_EQ(r["X-Next"], "b c");
  EXPECT_EQ(r.body(), "{}");
}

TEST(response_head, headers_with_unusable_names_are_dropped) {
  auto r = parsed(frame_response(with(200,
                                      {{"", "x"},
                                       {"Bad Name", "x"},
                                       {"Bad:Name", "x"},
                                       {"Bad\r\nName", "x"},
                                       {"Bad(Name)", "x"},
                                       {"Bad@Name", "x"},
                                       {"B\xc3\xa4"
                                        "d",
                                        "x"},
                                       {"Ok-Name_1.x~", "y"}},
                                      "{}"),
                                 {}));
  EXPECT_EQ(std::distance(r.begin(), r.end()), 3);  // Ok-Name_1.x~, Content-Type, Content-Length
  EXPECT_EQ(r["Ok-Name_1.x~"], "y");
}

TEST(response_head, control_characters_in_a_value_become_blanks_but_a_tab_stays) {
  auto r = parsed(frame_response(with(200,
                                      {{"X-Odd", std::string{"a\x01"
                                                             "b\x7f"
                                                             "c\td\0e",
                                                             9}},
                                       {"X-Utf8", "caf\xc3\xa9"}},
                                      "{}"),
                                 {}));
  EXPECT_EQ(r["X-Odd"], "a b c\td e");
  EXPECT_EQ(r["X-Utf8"], "caf\xc3\xa9");  // obs-text is no control character
}

TEST(response_head, repeated_headers_go_out_in_the_handlers_order) {
  auto f = frame_response(with(200, {{"Vary", "Origin"}, {"X-A", "1"}, {"Vary", "Accept"}}, "{}"),
                          {});
  EXPECT_NE(f.head.find("Vary: Origin\r\nX-A: 1\r\nVary: Accept\r\n"), std::string::npos) << f.head;
}
