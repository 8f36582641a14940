#include "http/target.hpp"

#include <algorithm>

#include <boost/url.hpp>
// Boost.URL is compiled into the program from this one translation unit (its
// header-only mode). No other .cpp in the repository may include this too, or
// the link sees every Boost.URL symbol twice.
#include <boost/url/src.hpp>

namespace svc::http {
namespace {

// See parsed_target::segments: split first, decode each piece after.
std::vector<std::string> decoded_segments(std::string_view encoded_path) {
  std::vector<std::string> out;
  if (!encoded_path.empty() && encoded_path.front() == '/')
    encoded_path.remove_prefix(1);
  if (encoded_path.empty())
    return out;
  out.reserve(1 +
              static_cast<std::size_t>(std::count(encoded_path.begin(), encoded_path.end(), '/')));
  for (;;) {
    auto slash = encoded_path.find('/');
    // Valid escapes only: the whole target passed Boost.URL's grammar already. A
    // segment without one is its own decoding (most are: "api", "v1", "42").
    const auto piece = encoded_path.substr(0, slash);
    if (piece.find('%') == std::string_view::npos)
      out.emplace_back(piece);
    else
      out.push_back(boost::urls::pct_string_view{piece}.decode());
    if (slash == std::string_view::npos)
      break;
    encoded_path.remove_prefix(slash + 1);
  }
  return out;
}

// See parsed_target::path.
std::string joined_path(const std::vector<std::string>& segments) {
  if (segments.empty())
    return "/";
  std::string out;
  for (const auto& segment : segments) {
    out += '/';
    for (char c : segment) {
      if (c == '%')
        out += "%25";
      else if (c == '/')
        out += "%2F";
      else
        out += c;
    }
  }
  return out;
}

target_result from_view(const boost::urls::url_view& url) {
  parsed_target out;
  const std::string_view encoded_path = url.encoded_path();
  out.segments = decoded_segments(encoded_path);
  // Without an escape no segment holds a '/' or '%', and joining them gives the
  // encoded path back.
  if (encoded_path.find('%') == std::string_view::npos && !encoded_path.empty())
    out.path = encoded_path;
  else
    out.path = joined_path(out.segments);
  if (url.has_query()) {
    // params() decodes with '+' as space, the form encoding browsers use.
    for (auto p : url.params()) {
      // "a=1&&b=2" yields an empty entry between the '&'; it carries nothing.
      if (p.key.empty() && !p.has_value)
        continue;
      out.query.emplace_back(std::move(p.key), std::move(p.value));
    }
  }
  return out;
}

}  // namespace

target_result parse_target(std::string_view raw) {
  if (raw.empty())
    return target_result::failure("empty request target");
  if (raw.front() == '/') {
    auto parsed = boost::urls::parse_origin_form(raw);
    if (!parsed)
      return target_result::failure("malformed request target");
    return from_view(*parsed);
  }
  auto parsed = boost::urls::parse_absolute_uri(raw);
  if (!parsed)
    return target_result::failure("malformed request target");
  auto scheme = parsed->scheme_id();
  if (scheme != boost::urls::scheme::http && scheme != boost::urls::scheme::https)
    return target_result::failure("request target must be a path");
  // An http(s) URI needs a host (RFC 9110 4.2), and its path must start with '/'.
  // Boost.URL 1.81 takes "http://h:80:/x" with the path ":/x", and "http:x"
  // has the path "x": neither is a path the router should see.
  auto path = parsed->encoded_path();
  if (!parsed->has_authority() || parsed->encoded_host().empty() ||
      (!path.empty() && path.front() != '/'))
    return target_result::failure("malformed request target");
  return from_view(*parsed);
}

}  // namespace svc::http
