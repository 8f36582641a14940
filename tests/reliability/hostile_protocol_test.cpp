// Hostile input at the HTTP layer, against the real user-service: malformed
// request lines and headers, oversized headers and URLs, Content-Length and
// chunked abuse, bodies over the limit. Each case must end in a clear 4xx in the
// JSON error envelope, or a closed connection: never a 5xx, a hang or a crash,
// and the service keeps answering normal requests after each case.
// (tests/e2e/protocol_test.cpp has the first three malformed requests and the
// 413 from an announced length; they are not repeated here.)
#include "reliability/reliability_fixture.hpp"

namespace reliability {
namespace {

using namespace std::string_literals;  // "...\0..."s keeps embedded NULs

class HostileProtocol : public hostile_suite {};

struct raw_case {
  std::string name;
  std::string bytes;
};

constexpr auto deadline = std::chrono::seconds{5};  // far above the 1 s header timeout

const std::string head =
  "POST /api/v1/users HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n";

TEST_F(HostileProtocol, MalformedRequestLinesAndHeadersAre400) {
  const std::vector<raw_case> cases = {
    {"extra token after the version", "GET /api/v1/users HTTP/1.1 extra\r\nHost: x\r\n\r\n"},
    {"no version", "GET /api/v1/users\r\nHost: x\r\n\r\n"},
    {"unknown version", "GET /api/v1/users HTTP/9.9\r\nHost: x\r\n\r\n"},
    {"two spaces", "GET  /api/v1/users HTTP/1.1\r\nHost: x\r\n\r\n"},
    {"NUL in the method", "G\0T /api/v1/users HTTP/1.1\r\nHost: x\r\n\r\n"s},
    {"NUL in the target", "GET /api/v1/us\0ers HTTP/1.1\r\nHost: x\r\n\r\n"s},
    {"control byte in the target", "GET /api/v1/users\x01 HTTP/1.1\r\nHost: x\r\n\r\n"},
    {"space in a header name", "GET /api/v1/users HTTP/1.1\r\nBad Header: x\r\n\r\n"},
    {"empty header name", "GET /api/v1/users HTTP/1.1\r\n: nothing\r\n\r\n"},
    {"NUL in a header value", "GET /api/v1/users HTTP/1.1\r\nX-Nul: a\0b\r\n\r\n"s},
    {"bare LF line ends", "GET /api/v1/users HTTP/1.1\nHost: x\n\n"},
    {"binary garbage", std::string(300, '\xff')},
    {"TLS ClientHello on the plain port",
     "\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03"s + std::string(160, '\x42')},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const auto r = svc_test::raw_exchange(port(), c.bytes, deadline);
    EXPECT_TRUE(answered(r, 400, "BAD_REQUEST"));
    EXPECT_TRUE(still_serving());
  }
}

TEST_F(HostileProtocol, ObsoleteLineFoldingIsJoinedNotMisread) {
  // RFC 9112 lets a server replace obs-fold by a space instead of refusing it;
  // Beast does. What must not happen is the folded line turning into a header.
  const auto r = svc_test::raw_exchange(
    port(), "GET /api/v1/users HTTP/1.1\r\nHost: x\r\nX-Request-ID: fold\r\n -ed\r\n\r\n",
    deadline);
  ASSERT_TRUE(r.response.has_value()) << r.received;
  EXPECT_EQ(r.response->status, 200u) << e2e::describe(*r.response);
  EXPECT_EQ(r.response->header("x-request-id"), "fold -ed") << e2e::describe(*r.response);
  EXPECT_TRUE(still_serving());
}

TEST_F(HostileProtocol, UnknownOrLowerCaseMethodsAre405) {
  for (const std::string method : {"BREW", "get", "PROPFIND"}) {
    SCOPED_TRACE(method);
    const auto r = svc_test::raw_exchange(
      port(), method + " /api/v1/users HTTP/1.1\r\nHost: x\r\n\r\n", deadline);
    EXPECT_TRUE(answered(r, 405, "METHOD_NOT_ALLOWED"));
  }
  EXPECT_TRUE(still_serving());
}

TEST_F(HostileProtocol, HugeHeadersAre431AndHugeRequestTargetsAre414) {
  const std::string big(2 * max_header_bytes, 'a');
  std::string many;
  for (int i = 0; many.size() <= 2 * max_header_bytes; ++i)
    many += "X-Many-" + std::to_string(i) + ": value\r\n";
  struct sized_case {
    std::string name;
    std::string bytes;
    unsigned status;
    std::string code;
  };
  const std::vector<sized_case> cases = {
    {"one huge header", "GET /api/v1/users HTTP/1.1\r\nHost: x\r\nX-Big: " + big + "\r\n\r\n", 431,
     "REQUEST_HEADER_FIELDS_TOO_LARGE"},
    {"thousands of small headers", "GET /api/v1/users HTTP/1.1\r\nHost: x\r\n" + many + "\r\n", 431,
     "REQUEST_HEADER_FIELDS_TOO_LARGE"},
    {"huge URL", "GET /api/v1/users?search=" + big + " HTTP/1.1\r\nHost: x\r\n\r\n", 414,
     "URI_TOO_LONG"},
    {"huge path", "GET /api/v1/users/" + big + " HTTP/1.1\r\nHost: x\r\n\r\n", 414, "URI_TOO_LONG"},
    // Bytes that never looked like a request line stay a plain 400.
    {"a huge line that is no request line", std::string(2 * max_header_bytes, '\xff'), 400,
     "BAD_REQUEST"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const auto r = svc_test::raw_exchange(port(), c.bytes, deadline);
    EXPECT_TRUE(answered(r, c.status, c.code));
    EXPECT_TRUE(still_serving());
  }
}

TEST_F(HostileProtocol, LongButAllowedUrlsAndHeadersAreServed) {
  // Under the header limit: served normally, never a 5xx from the database.
  auto r = client().get("/api/v1/users?search=" + std::string(6000, 'q'));
  EXPECT_TRUE(e2e::is_error(r, 400, "VALIDATION_ERROR")) << "a search longer than 200 characters";
  r = client().get("/api/v1/users?search=" + std::string(200, 'q'));
  EXPECT_EQ(r.status, 200u) << e2e::describe(r);
  std::string params;
  for (int i = 0; i < 700; ++i)
    params += "&page=1";
  r = client().get("/api/v1/users?page_size=1" + params);
  EXPECT_TRUE(e2e::is_error(r, 400, "VALIDATION_ERROR")) << "a repeated parameter";
  EXPECT_EQ(e2e::detail_fields(r), (std::multiset<std::string>{"page"})) << e2e::describe(r);
  r = client().get("/api/v1/users", {{"X-Request-ID", std::string(6000, 'r')}});
  EXPECT_EQ(r.status, 200u) << e2e::describe(r);
  EXPECT_TRUE(e2e::is_uuid_v4(r.header("x-request-id")))
    << "an overlong id is replaced, not echoed";
  r = client().get("/api/v1/users/" + std::string(40, '9'));
  EXPECT_TRUE(e2e::is_error(r, 400, "BAD_REQUEST") || e2e::is_error(r, 404, "NOT_FOUND"))
    << e2e::describe(r);
}

TEST_F(HostileProtocol, BadOrConflictingFramingIs400) {
  const auto t = tag();
  // Each body would create a user named after `t` if it were ever executed.
  const auto body =
    json{{"name", "Framing " + t}, {"email", "framing." + t + "@example.com"}}.dump();
  const auto n = std::to_string(body.size());
  const auto smuggled = "0\r\n\r\n" + head + "Content-Length: " + n + "\r\n\r\n" + body;
  const std::vector<raw_case> cases = {
    {"negative Content-Length", head + "Content-Length: -1\r\n\r\n" + body},
    {"signed Content-Length", head + "Content-Length: +" + n + "\r\n\r\n" + body},
    {"Content-Length with a unit", head + "Content-Length: " + n + "bytes\r\n\r\n" + body},
    {"Content-Length overflow", head + "Content-Length: 99999999999999999999999999\r\n\r\n" + body},
    {"two different Content-Lengths", head + "Content-Length: " + n + "\r\nContent-Length: " +
                                        std::to_string(body.size() + 1) + "\r\n\r\n" + body},
    {"Content-Length and chunked (smuggling)",
     head + "Content-Length: " + std::to_string(smuggled.size()) +
       "\r\nTransfer-Encoding: chunked\r\n\r\n" + smuggled},
    {"chunked not the last coding", head + "Transfer-Encoding: chunked, gzip\r\n\r\n" + body},
    {"unknown coding only", head + "Transfer-Encoding: rot13\r\n\r\n" + body},
    {"chunk size not hex",
     head + "Transfer-Encoding: chunked\r\n\r\nzz\r\n" + body + "\r\n0\r\n\r\n"},
    {"chunk size overflow", head +
                              "Transfer-Encoding: chunked\r\n\r\nffffffffffffffffffffffff\r\n" +
                              body + "\r\n0\r\n\r\n"},
    {"chunk data longer than its size",
     head + "Transfer-Encoding: chunked\r\n\r\n2\r\n" + body + "\r\n0\r\n\r\n"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const auto r = svc_test::raw_exchange(port(), c.bytes, deadline);
    EXPECT_TRUE(answered(r, 400, "BAD_REQUEST"));
    EXPECT_TRUE(still_serving());
  }
  EXPECT_EQ(users_matching(t), 0) << "no refused body was executed";

  // Control: a well-formed chunked body is served.
  const auto ok_body =
    json{{"name", "Chunked " + t}, {"email", "chunked." + t + "@example.com"}}.dump();
  std::string chunks;
  for (std::size_t i = 0; i < ok_body.size(); i += 7) {
    const auto part = ok_body.substr(i, 7);
    char size[16];
    std::snprintf(size, sizeof size, "%zx", part.size());
    chunks += std::string{size} + "\r\n" + part + "\r\n";
  }
  const auto ok = svc_test::raw_exchange(
    port(), head + "Transfer-Encoding: chunked\r\n\r\n" + chunks + "0\r\n\r\n", deadline);
  ASSERT_TRUE(ok.response.has_value()) << ok.received;
  EXPECT_EQ(ok.response->status, 201u) << e2e::describe(*ok.response);
  EXPECT_EQ(users_matching(t), 1);
}

// One request on its own connection, read until the server closes it: every
// response it sent (a smuggled request would add one) and whether it closed.
struct until_close {
  std::vector<reply> responses;
  bool closed = false;
  std::string received;
};

until_close exchange_until_close(std::uint16_t port, const std::string& bytes) {
  raw_connection conn{port};
  until_close out;
  conn.send(bytes);
  // Well before the idle timeout, which would close a kept-alive connection too.
  out.closed = conn.wait_closed(std::chrono::milliseconds{idle_timeout_seconds * 1000 - 500});
  out.received = conn.received();
  out.responses = parse_responses(out.received);
  return out;
}

// Exactly one answer, 400 BAD_REQUEST in the envelope, then the connection closed.
::testing::AssertionResult refused_and_closed(const until_close& r) {
  if (r.responses.size() != 1)
    return ::testing::AssertionFailure()
           << r.responses.size()
           << " responses, expected exactly one: " << r.received.substr(0, 2000);
  auto ok = e2e::is_error(r.responses[0], 400, "BAD_REQUEST");
  if (!ok)
    return ok;
  // An HTTP/1.0 answer closes without saying so.
  if (r.received.starts_with("HTTP/1.1") && r.responses[0].header("connection") != "close")
    return ::testing::AssertionFailure()
           << "no Connection: close: " << e2e::describe(r.responses[0]);
  if (!r.closed)
    return ::testing::AssertionFailure() << "the connection stayed open";
  return ::testing::AssertionSuccess();
}

TEST_F(HostileProtocol, TransferEncodingOtherThanChunkedAloneIs400AndClosed) {
  // RFC 9112 6.1: a request whose transfer coding is not "chunked" last cannot be
  // framed; Beast read its body as empty, so the body ran as the next request.
  const auto t = tag();
  const auto victim = client().post(
    "/api/v1/users", json{{"name", "Victim " + t}, {"email", "victim." + t + "@example.com"}});
  ASSERT_EQ(victim.status, 201u) << e2e::describe(victim);
  const auto victim_path = "/api/v1/users/" +
                           std::to_string(victim.json()["data"]["id"].get<long long>());
  const auto smuggled = "DELETE " + victim_path +
                        " HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n";
  // A chunked body that would create a user named after `t`, if it were read as chunked.
  const auto created =
    json{{"name", "Smuggled " + t}, {"email", "smuggled." + t + "@example.com"}}.dump();
  char size[16];
  std::snprintf(size, sizeof size, "%zx", created.size());
  const auto chunked_body = std::string{size} + "\r\n" + created + "\r\n0\r\n\r\n";

  const std::vector<raw_case> cases = {
    {"chunked, identity", head + "Transfer-Encoding: chunked, identity\r\n\r\n" + smuggled},
    {"identity", head + "Transfer-Encoding: identity\r\n\r\n" + smuggled},
    {"gzip", head + "Transfer-Encoding: gzip\r\n\r\n" + smuggled},
    {"xchunked", head + "Transfer-Encoding: xchunked\r\n\r\n" + smuggled},
    {"empty value", head + "Transfer-Encoding: \r\n\r\n" + smuggled},
    {"chunked then a non-chunked line",
     head + "Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n" + smuggled},
    {"identity with a Content-Length",
     head + "Transfer-Encoding: identity\r\nContent-Length: 0\r\n\r\n" + smuggled},
    {"chunked with a parameter",
     head + "Transfer-Encoding: chunked;x=1\r\n\r\n" + chunked_body + smuggled},
    {"gzip line, then chunked", head +
                                  "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n" +
                                  chunked_body + smuggled},
    {"HTTP/1.0 with chunked",
     "POST /api/v1/users HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\nContent-Type: application/json\r\n"
     "Transfer-Encoding: chunked\r\n\r\n" +
       chunked_body + smuggled},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_TRUE(refused_and_closed(exchange_until_close(port(), c.bytes)));
    const auto still = client().get(victim_path);
    EXPECT_EQ(still.status, 200u) << "the smuggled DELETE ran: " << e2e::describe(still);
    EXPECT_TRUE(still_serving());
  }
  EXPECT_EQ(users_matching(t), 1) << "only the victim: no smuggled body created a user";
}

TEST_F(HostileProtocol, Http11RequestsNeedExactlyOneHost) {
  // RFC 9112 3.2: an HTTP/1.1 request without Host, or any request with two.
  const auto t = tag();
  const auto body =
    json{{"name", "Hostless " + t}, {"email", "hostless." + t + "@example.com"}}.dump();
  const auto post =
    "POST /api/v1/users HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: " +
    std::to_string(body.size()) + "\r\n";
  const std::vector<raw_case> cases = {
    {"GET without Host", "GET /api/v1/users HTTP/1.1\r\n\r\n"},
    {"GET with two equal Hosts", "GET /api/v1/users HTTP/1.1\r\nHost: x\r\nHost: x\r\n\r\n"},
    {"GET with two different Hosts", "GET /api/v1/users HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"},
    {"HTTP/1.0 with two Hosts", "GET /api/v1/users HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n"},
    {"POST without Host", post + "\r\n" + body},
    {"POST with two Hosts", post + "Host: a\r\nHost: b\r\n\r\n" + body},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_TRUE(refused_and_closed(exchange_until_close(port(), c.bytes)));
    EXPECT_TRUE(still_serving());
  }
  EXPECT_EQ(users_matching(t), 0) << "no refused body was executed";

  // HTTP/1.0 has no Host requirement.
  const auto r = svc_test::raw_exchange(port(), "GET /api/v1/users?page_size=1 HTTP/1.0\r\n\r\n",
                                        deadline);
  ASSERT_TRUE(r.response.has_value()) << r.received;
  EXPECT_EQ(r.response->status, 200u) << e2e::describe(*r.response);
}

TEST_F(HostileProtocol, BodiesOverTheLimitAre413) {
  const auto t = tag();
  auto big = json{{"name", "Big " + t},
                  {"email", "big." + t + "@example.com"},
                  {"padding", std::string(max_body_bytes, 'p')}}
               .dump();
  std::string many_chunks;
  for (std::size_t sent = 0; sent <= max_body_bytes; sent += 4096)
    many_chunks += "1000\r\n" + std::string(4096, ' ') + "\r\n";
  const std::vector<raw_case> cases = {
    // The whole body is sent: the 413 must still reach the client (no reset).
    {"Content-Length over the limit, body sent",
     head + "Content-Length: " + std::to_string(big.size()) + "\r\n\r\n" + big},
    {"one chunk announced over the limit",
     head + "Transfer-Encoding: chunked\r\n\r\n20000\r\n" + big.substr(0, 1000)},
    {"many chunks adding up over the limit",
     head + "Transfer-Encoding: chunked\r\n\r\n" + many_chunks + "0\r\n\r\n"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const auto r = svc_test::raw_exchange(port(), c.bytes, deadline);
    EXPECT_TRUE(answered(r, 413, "PAYLOAD_TOO_LARGE"));
    EXPECT_TRUE(still_serving());
  }
  EXPECT_EQ(users_matching(t), 0);
}

TEST_F(HostileProtocol, BodiesThatNeverEndAreClosedAfterTheIdleTimeout) {
  const auto t = tag();
  const auto body = json{{"name", "Short " + t}, {"email", "short." + t + "@example.com"}}.dump();
  raw_connection short_length{port()};
  raw_connection open_chunks{port()};
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(short_length.send(head + "Content-Length: " + std::to_string(body.size() + 50) +
                                "\r\n\r\n" + body));
  ASSERT_TRUE(open_chunks.send(head + "Transfer-Encoding: chunked\r\n\r\n10\r\n" +
                               body.substr(0, 16) + "\r\n"));
  EXPECT_TRUE(still_serving()) << "others are served while the bodies hang";
  const auto bound = std::chrono::seconds{idle_timeout_seconds + 4};
  EXPECT_TRUE(short_length.wait_closed(bound))
    << "a body shorter than its Content-Length holds the connection";
  EXPECT_TRUE(open_chunks.wait_closed(bound)) << "an unfinished chunked body holds the connection";
  std::cerr << "reliability: unfinished bodies closed after " << ms_since(start)
            << " ms (HTTP_IDLE_TIMEOUT " << idle_timeout_seconds << " s)\n";
  EXPECT_EQ(short_length.received(), "") << "nothing is answered for a request that never arrived";
  EXPECT_EQ(open_chunks.received(), "");
  EXPECT_EQ(users_matching(t), 0);
  EXPECT_TRUE(still_serving());
}

}  // namespace
}  // namespace reliability
