// http::framing_error on Beast headers built by hand (no socket, no parser).
#include "http/request_framing.hpp"

#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

using namespace svc::http;
namespace bhttp = boost::beast::http;

namespace {

bhttp::request_header<> beast_header(
  unsigned version, std::initializer_list<std::pair<bhttp::field, const char*>> fields) {
  bhttp::request_header<> h;
  h.method(bhttp::verb::post);
  h.target("/api/v1/users");
  h.version(version);
  for (auto [name, value] : fields)
    h.insert(name, value);
  return h;
}

constexpr auto host = bhttp::field::host;
constexpr auto te = bhttp::field::transfer_encoding;
constexpr auto cl = bhttp::field::content_length;

}  // namespace

TEST(request_framing, plain_requests_pass) {
  EXPECT_FALSE(framing_error(beast_header(11, {{host, "x"}})));
  EXPECT_FALSE(framing_error(beast_header(11, {{host, "x"}, {cl, "12"}})));
  EXPECT_FALSE(framing_error(beast_header(11, {{host, "x"}, {te, "chunked"}})));
  EXPECT_FALSE(framing_error(beast_header(11, {{host, "x"}, {te, "Chunked"}})));
  EXPECT_FALSE(framing_error(beast_header(11, {{host, "x"}, {te, " , chunked ,"}})))
    << "empty list elements are no codings";
  EXPECT_FALSE(framing_error(beast_header(10, {}))) << "HTTP/1.0 needs no Host";
  EXPECT_FALSE(framing_error(beast_header(10, {{cl, "3"}})));
}

TEST(request_framing, transfer_coding_must_be_exactly_chunked) {
  for (const char* value :
       {"chunked, identity", "identity", "gzip", "xchunked", "", " ", "gzip, chunked",
        "chunked, chunked", "chunked;x=1", "chunked x", "chunked/1"}) {
    auto why = framing_error(beast_header(11, {{host, "x"}, {te, value}}));
    ASSERT_TRUE(why) << "accepted Transfer-Encoding: '" << value << "'";
    EXPECT_FALSE(why->empty());
  }
  // Split over lines: the codings of every line count, in order.
  EXPECT_TRUE(framing_error(beast_header(11, {{host, "x"}, {te, "chunked"}, {te, "identity"}})));
  EXPECT_TRUE(framing_error(beast_header(11, {{host, "x"}, {te, "gzip"}, {te, "chunked"}})));
}

TEST(request_framing, transfer_encoding_with_content_length_or_in_http10_is_refused) {
  EXPECT_TRUE(framing_error(beast_header(11, {{host, "x"}, {te, "chunked"}, {cl, "5"}})));
  EXPECT_TRUE(framing_error(beast_header(11, {{host, "x"}, {te, "identity"}, {cl, "0"}})));
  EXPECT_TRUE(framing_error(beast_header(10, {{te, "chunked"}})));
  EXPECT_TRUE(framing_error(beast_header(10, {{host, "x"}, {te, "chunked"}})));
}

TEST(request_framing, one_content_length_value) {
  EXPECT_TRUE(framing_error(beast_header(11, {{host, "x"}, {cl, "5"}, {cl, "5"}})));
  EXPECT_TRUE(framing_error(beast_header(11, {{host, "x"}, {cl, "5, 5"}})));
  EXPECT_TRUE(framing_error(beast_header(10, {{cl, "5"}, {cl, "6"}})));
}

TEST(request_framing, http11_needs_exactly_one_host) {
  EXPECT_TRUE(framing_error(beast_header(11, {})));
  EXPECT_TRUE(framing_error(beast_header(11, {{cl, "2"}})));
  EXPECT_TRUE(framing_error(beast_header(11, {{host, "x"}, {host, "x"}})));
  EXPECT_TRUE(framing_error(beast_header(11, {{host, "a"}, {host, "b"}})));
  EXPECT_TRUE(framing_error(beast_header(10, {{host, "a"}, {host, "b"}})))
    << "two Hosts in any version";
  EXPECT_FALSE(framing_error(beast_header(11, {{host, ""}})))
    << "an empty Host is allowed (RFC 9112 3.2)";
}

TEST(request_framing, oversized_header_is_431_414_or_400) {
  const std::size_t limit = 32;
  auto code = [&](bool parsed, std::string_view bytes) {
    return oversized_header_refusal(parsed, bytes, limit).code;
  };
  // The request line ended within the limit: the fields are too large.
  EXPECT_EQ(code(false, "GET /x HTTP/1.1\r\nX-Big: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
            error_code::request_header_fields_too_large);
  EXPECT_EQ(code(true, ""), error_code::request_header_fields_too_large)
    << "Beast parsed the request line";
  // No line end within the limit, in a request target (or the version after it).
  EXPECT_EQ(code(false, "GET /api/v1/users?search=aaaaaaaaaaaaaaaaaaaaaaaa"),
            error_code::uri_too_long);
  EXPECT_EQ(code(false, "GET /" + std::string(60, 'p') + " HTTP/1.1\r\n"),
            error_code::uri_too_long);
  EXPECT_EQ(code(false, "DELETE /api/v1/users/12345678 HTT"), error_code::uri_too_long)
    << "cut in the version";
  // No line end, and no request line either.
  const std::vector<std::string> junk_lines = {std::string(64, '\xff'),
                                               std::string(64, 'A'),
                                               "GET  /double-space-aaaaaaaaaaaaaaaaaaaa",
                                               " /leading-space-aaaaaaaaaaaaaaaaaaaaaaa",
                                               "G(T /x aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                                               "GET /x HTTP/1.1 trailing-junk-aaaaaaaaa",
                                               "GET /a\x01" + std::string(40, 'b')};
  for (const auto& junk : junk_lines) {
    EXPECT_EQ(code(false, junk), error_code::bad_request) << junk;
  }
  auto refusal = oversized_header_refusal(false, "GET /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                                          limit);
  EXPECT_FALSE(refusal.message.empty());
}
