// http::framing_error on Beast headers built by hand (no socket, no parser).
#include "http/request_framing.hpp"

#include <initializer_list>
#include <utility>

#include <gtest/gtest.h>

using namespace svc::http;
namespace bhttp = boost::beast::http;

namespace {

bhttp::request_header<> header(unsigned version, std::initializer_list<std::pair<bhttp::field, const char*>> fields) {
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
  EXPECT_FALSE(framing_error(header(11, {{host, "x"}})));
  EXPECT_FALSE(framing_error(header(11, {{host, "x"}, {cl, "12"}})));
  EXPECT_FALSE(framing_error(header(11, {{host, "x"}, {te, "chunked"}})));
  EXPECT_FALSE(framing_error(header(11, {{host, "x"}, {te, "Chunked"}})));
  EXPECT_FALSE(framing_error(header(11, {{host, "x"}, {te, " , chunked ,"}}))) << "empty list elements are no codings";
  EXPECT_FALSE(framing_error(header(10, {}))) << "HTTP/1.0 needs no Host";
  EXPECT_FALSE(framing_error(header(10, {{cl, "3"}})));
}

TEST(request_framing, transfer_coding_must_be_exactly_chunked) {
  for (const char* value : {"chunked, identity", "identity", "gzip", "xchunked", "", " ", "gzip, chunked",
                            "chunked, chunked", "chunked;x=1", "chunked x", "chunked/1"}) {
    auto why = framing_error(header(11, {{host, "x"}, {te, value}}));
    ASSERT_TRUE(why) << "accepted Transfer-Encoding: '" << value << "'";
    EXPECT_FALSE(why->empty());
  }
  // Split over lines: the codings of every line count, in order.
  EXPECT_TRUE(framing_error(header(11, {{host, "x"}, {te, "chunked"}, {te, "identity"}})));
  EXPECT_TRUE(framing_error(header(11, {{host, "x"}, {te, "gzip"}, {te, "chunked"}})));
}

TEST(request_framing, transfer_encoding_with_content_length_or_in_http10_is_refused) {
  EXPECT_TRUE(framing_error(header(11, {{host, "x"}, {te, "chunked"}, {cl, "5"}})));
  EXPECT_TRUE(framing_error(header(11, {{host, "x"}, {te, "identity"}, {cl, "0"}})));
  EXPECT_TRUE(framing_error(header(10, {{te, "chunked"}})));
  EXPECT_TRUE(framing_error(header(10, {{host, "x"}, {te, "chunked"}})));
}

TEST(request_framing, one_content_length_value) {
  EXPECT_TRUE(framing_error(header(11, {{host, "x"}, {cl, "5"}, {cl, "5"}})));
  EXPECT_TRUE(framing_error(header(11, {{host, "x"}, {cl, "5, 5"}})));
  EXPECT_TRUE(framing_error(header(10, {{cl, "5"}, {cl, "6"}})));
}

TEST(request_framing, http11_needs_exactly_one_host) {
  EXPECT_TRUE(framing_error(header(11, {})));
  EXPECT_TRUE(framing_error(header(11, {{cl, "2"}})));
  EXPECT_TRUE(framing_error(header(11, {{host, "x"}, {host, "x"}})));
  EXPECT_TRUE(framing_error(header(11, {{host, "a"}, {host, "b"}})));
  EXPECT_TRUE(framing_error(header(10, {{host, "a"}, {host, "b"}}))) << "two Hosts in any version";
  EXPECT_FALSE(framing_error(header(11, {{host, ""}}))) << "an empty Host is allowed (RFC 9112 3.2)";
}
