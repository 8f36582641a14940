// Fuzz target: a handler's response (status, headers of any bytes, body) framed
// by http::frame_response, then read back with Beast's response parser as a
// client reads it. Checks that every result is one well-formed response that
// ends exactly where the bytes end, with the status, body and Content-Length the
// rules give, and that every header the parser sees is one the handler sent
// (or the server's Content-Type, Connection, Content-Length): no value can
// start a header or a body of its own, whatever bytes it holds.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "fuzz_check.hpp"
#include "fuzz_text.hpp"
#include "http/response_head.hpp"

namespace {

namespace bhttp = boost::beast::http;

bool is_framing(std::string_view name) {
  const auto n = svc::fuzz::ascii_lowered(name);
  return n == "connection" || n == "content-length" || n == "transfer-encoding";
}

// Input: two bytes of status, one of flags (version 1.0, keep-alive, HEAD), then
// NUL-separated name, value, name, value, ...; a lone last part is the body.
struct fuzz_input {
  svc::http::response resp;
  svc::http::response_framing framing;
};

fuzz_input decode(const std::uint8_t* data, std::size_t size) {
  fuzz_input in;
  if (size < 3)
    return in;
  in.resp.status = static_cast<unsigned>(data[0] << 8 | data[1]) % 1000;
  in.framing.version = (data[2] & 1) ? 10 : 11;
  in.framing.keep_alive = (data[2] & 2) != 0;
  in.framing.head_request = (data[2] & 4) != 0;
  std::vector<std::string> parts;
  std::string_view rest{reinterpret_cast<const char*>(data + 3), size - 3};
  for (;;) {
    auto nul = rest.find('\0');
    parts.emplace_back(rest.substr(0, nul));
    if (nul == std::string_view::npos)
      break;
    rest.remove_prefix(nul + 1);
  }
  std::size_t i = 0;
  for (; i + 1 < parts.size(); i += 2)
    in.resp.headers.push_back({parts[i], parts[i + 1]});
  if (i < parts.size())
    in.resp.body = parts[i];
  return in;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto in = decode(data, size);
  const auto framed = svc::http::frame_response(in.resp, in.framing);
  const std::string wire = framed.head + framed.body;

  bhttp::response_parser<bhttp::string_body> parser;
  parser.eager(true);
  parser.skip(in.framing.head_request);
  parser.header_limit(1u << 20);
  parser.body_limit(1u << 20);
  boost::beast::error_code ec;
  const auto used = parser.put(boost::asio::buffer(wire), ec);
  FUZZ_CHECK(!ec, ec.message() + "\n" + framed.head);
  FUZZ_CHECK(parser.is_done(), framed.head);
  FUZZ_CHECK(used == wire.size(), "bytes after the response: " + framed.head);
  const auto& msg = parser.get();

  const unsigned status = in.resp.status >= 200 && in.resp.status <= 599 ? in.resp.status : 500;
  FUZZ_CHECK(msg.result_int() == status, framed.head);
  FUZZ_CHECK(msg.version() == in.framing.version, framed.head);
  const bool bodyless = status == 204 || status == 304;
  const bool no_body = bodyless || in.framing.head_request;
  FUZZ_CHECK(msg.body() == (no_body ? std::string{} : in.resp.body), framed.head);
  if (bodyless)
    FUZZ_CHECK(msg.find(bhttp::field::content_length) == msg.end(), framed.head);
  else
    FUZZ_CHECK(msg[bhttp::field::content_length] == std::to_string(in.resp.body.size()),
               framed.head);
  FUZZ_CHECK(msg.keep_alive() == framed.keep_alive, framed.head);

  // The handler's headers with a token for a name and no framing role come out
  // with their values in order, control characters in values as blanks (stated
  // here without the code under test: RFC 9110 5.1, 5.5, 5.6.2); nothing else but
  // the server's Content-Type, Connection and Content-Length. Per name, since
  // Beast's fields keep repeated names together.
  std::map<std::string, std::vector<std::string>> expected;
  for (const auto& h : in.resp.headers) {
    bool token = !h.name.empty();
    for (char c : h.name)
      token = token && c > 0x20 && c < 0x7f &&
              std::string_view{"\"(),/:;<=>?@[\\]{}"}.find(c) == std::string_view::npos;
    if (!token || is_framing(h.name))
      continue;
    std::string value = h.value;
    for (auto& c : value)
      if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f)
        c = ' ';
    const auto first = value.find_first_not_of(" \t");
    const auto last = value.find_last_not_of(" \t");
    value = first == std::string::npos ? std::string{} : value.substr(first, last - first + 1);
    expected[svc::fuzz::ascii_lowered(h.name)].push_back(std::move(value));
  }
  std::map<std::string, std::vector<std::string>> seen;
  for (const auto& field : msg)
    seen[svc::fuzz::ascii_lowered(field.name_string())].emplace_back(field.value());
  for (auto& [name, values] : seen) {
    auto want = expected.count(name) ? expected[name] : std::vector<std::string>{};
    if (name == "content-type" && want.empty())
      want.push_back("application/json");  // the server's, for a body without one
    if ((name == "connection" || name == "content-length") && want.empty()) {
      FUZZ_CHECK(values.size() == 1, "the server's " + name + " twice\n" + framed.head);
      continue;
    }
    FUZZ_CHECK(values == want, "the values of " + name + " differ\n" + framed.head);
  }
  for (const auto& [name, values] : expected)
    FUZZ_CHECK(seen.count(name), "a handler's header went missing: " + name + "\n" + framed.head);
  return 0;
}
