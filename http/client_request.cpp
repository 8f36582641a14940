// http::client's requests: the wire request and base URL parsing (see
// client_request.hpp and client.hpp).
#include "http/client_request.hpp"

#include <algorithm>
#include <cctype>

#include <boost/beast/http/field.hpp>
#include <boost/url.hpp>

#include "domain/ascii_text.hpp"

namespace svc::http {
namespace {

namespace bhttp = boost::beast::http;
using outcome = client_result::outcome;
constexpr auto npos = std::string_view::npos;

bool is_token(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) ||
           std::string_view{"!#$%&'*+-.^_`|~"}.find(c) != npos;
  });
}

// Printable ASCII only: a CR or LF would let a caller's value start a header
// line of its own, a space would break the request line.
bool is_printable(std::string_view s, bool allow_space) {
  auto ok = [&](char c) {
    return (c > ' ' && c < 0x7f) || (allow_space && (c == ' ' || c == '\t'));
  };
  return std::all_of(s.begin(), s.end(), ok);
}

}  // namespace

wire_request build_request(const std::string& method, const base_url& url,
                           const std::string& target, const std::vector<header>& headers,
                           std::string body, outcome& bad, std::string& why) {
  wire_request req;
  if (target.empty() || target.front() != '/' || !is_printable(target, false)) {
    why = "target must be an absolute path without spaces or control characters";
    return req;
  }
  bad = outcome::io_error;  // from here on a bad request, not a bad URL
  if (!is_token(method))
    why = "invalid method";
  req.method_string(method);
  req.target(url.prefix + target);
  req.version(11);
  for (const auto& h : headers)
    if (!is_token(h.name) || !is_printable(h.value, true))
      why = "invalid header " + h.name;
    else
      req.insert(h.name, h.value);
  if (req.find(bhttp::field::host) == req.end())
    req.set(bhttp::field::host, url.host_header);
  if (req.find(bhttp::field::connection) == req.end())
    req.set(bhttp::field::connection, "keep-alive");
  if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH")
    req.content_length(body.size());
  req.body() = std::move(body);
  return req;
}

bool is_idempotent(std::string_view m) {
  return m == "GET" || m == "HEAD" || m == "PUT" || m == "DELETE" || m == "OPTIONS" || m == "TRACE";
}

std::optional<base_url> base_url::parse(std::string_view text, std::string* why) {
  auto fail = [&](const char* reason) -> std::optional<base_url> {
    if (why)
      *why = reason;
    return std::nullopt;
  };
  auto parsed = boost::urls::parse_uri(boost::core::string_view{text.data(), text.size()});
  if (!parsed)
    return fail("malformed base URL");
  const auto& u = *parsed;
  const std::string_view scheme{u.scheme().data(), u.scheme().size()};
  if (!ascii_iequals(scheme, "http") && !ascii_iequals(scheme, "https"))
    return fail("base URL must start with http:// or https://");
  if (!u.has_authority() || u.encoded_host().empty() || u.has_userinfo() || u.has_query() ||
      u.has_fragment())
    return fail("malformed base URL");
  base_url b;
  b.tls = ascii_iequals(scheme, "https");
  const bool v6 = u.host_type() == boost::urls::host_type::ipv6;
  b.host = u.host_address();  // decoded, without an IPv6 address's brackets
  b.port = b.tls ? "443" : "80";
  if (u.has_port()) {
    // Boost.URL takes any digits ("99999"), or none after a bare ':'.
    const std::string port{u.port()};
    if (port.empty() || port.size() > 5 ||
        port.find_first_not_of("0123456789") != std::string::npos || std::stoul(port) < 1 ||
        std::stoul(port) > 65535)
      return fail("malformed base URL");
    b.port = port;
  }
  if (!is_printable(b.host, false) || b.host.find_first_of("@/?#[]") != npos)
    return fail("malformed base URL");
  b.prefix = std::string{u.encoded_path()};
  while (b.prefix.ends_with('/'))
    b.prefix.pop_back();
  b.host_header = v6 ? "[" + b.host + "]" : b.host;
  if (b.port != (b.tls ? "443" : "80"))
    b.host_header += ":" + b.port;
  return b;
}

}  // namespace svc::http
