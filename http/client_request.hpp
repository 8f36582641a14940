// What http::client puts on the wire for a caller's call, and which calls it may
// send again: the request built from the caller's method, base URL, target,
// headers and body, checked so that no value of the caller's can break the
// request line or start a header line of its own.
//
// Takes Beast's message type, so it is included only by http/client.cpp and its
// tests, never by widely-included headers.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "http/client.hpp"

namespace svc::http {

using wire_request = boost::beast::http::request<boost::beast::http::string_body>;

// The wire request. When it must not be sent, `why` says why and `bad` is the
// outcome to report: invalid_url for a bad target, io_error for a bad method or
// header (`bad` is left alone when the request may be sent).
wire_request build_request(const std::string& method, const base_url& url,
                           const std::string& target, const std::vector<header>& headers,
                           std::string body, client_result::outcome& bad, std::string& why);

// RFC 9110 9.2.2: only these may be resent without the caller's say-so.
bool is_idempotent(std::string_view method);

}  // namespace svc::http
