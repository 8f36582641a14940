// Splitting a request-target into path segments and query parameters, each
// percent-decoded on its own.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace svc::http {

// Name/value pairs in their original order; the same type as svc::query_params.
using param_list = std::vector<std::pair<std::string, std::string>>;

struct parsed_target {
  // The path split at its '/' BEFORE decoding, then each segment decoded: an
  // encoded slash ("%2F") stays inside its segment, so "/users%2F1" is the one
  // segment "users/1" and never the route "/users/1". "/" gives none, "/a/" gives
  // {"a", ""}, "/a//b" gives {"a", "", "b"}.
  std::vector<std::string> segments;
  // The segments joined by '/', "/" when there are none; a '/' or '%' inside a
  // segment is written "%2F" / "%25", so every '/' here separates segments and
  // comparing with a fixed path ("/health") compares segment by segment.
  std::string path;
  param_list query;  // decoded, '+' read as a space; "a" alone gives ("a", "")
};

// Either a parsed target or the reason it could not be parsed (-> 400).
class target_result {
public:
  target_result(parsed_target value) : ok_(true), value_(std::move(value)) {}
  static target_result failure(std::string reason) {
    target_result r{parsed_target{}};
    r.ok_ = false;
    r.error_ = std::move(reason);
    return r;
  }

  explicit operator bool() const { return ok_; }
  bool has_value() const { return ok_; }
  parsed_target& operator*() { return value_; }
  const parsed_target& operator*() const { return value_; }
  parsed_target* operator->() { return &value_; }
  const parsed_target* operator->() const { return &value_; }
  const std::string& error() const { return error_; }

private:
  bool ok_;
  parsed_target value_;
  std::string error_;
};

// Accepts origin-form ("/path?query") and, as RFC 9112 requires of servers,
// absolute-form ("http://host/path?query", of which only path and query count).
// Anything else (bad percent-escapes, spaces, a fragment, "*") fails.
target_result parse_target(std::string_view raw);

}  // namespace svc::http
