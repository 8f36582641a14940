// Which address a request comes from: the TCP peer, or, when the peer is one of
// the trusted proxies (TRUSTED_PROXIES), the address its X-Forwarded-For names.
// The rate limiter keys its buckets by it and the access line logs it.
//
// Pure functions, no Asio in the interface (Boost.Asio parses the addresses in
// client_address.cpp): unit-tested in tests/http/client_address_test.cpp.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace svc::http {

// One CIDR block: an IPv4 or IPv6 network address and its prefix length.
struct ip_network {
  bool v6 = false;
  std::array<std::uint8_t, 16> bytes{};  // IPv4 in the first 4
  unsigned prefix_length = 0;            // 0-32 (IPv4), 0-128 (IPv6)

  friend bool operator==(const ip_network&, const ip_network&) = default;
};

// "10.0.0.0/8", "fd00::/8": the canonical text (Asio's address spelling).
std::string to_string(const ip_network& network);

// Parses a comma list of CIDR blocks ("10.0.0.0/8, 192.168.1.7, fd00::/8");
// blanks around items are ignored, an empty (or all-blank) text is an empty list.
// A bare address counts as one host (/32, /128). Refused, with the reason in
// `error` ("\"10.0.0.1/8\" has host bits set (10.0.0.0/8?)"): an empty item, an
// address Asio does not parse, a prefix length out of range or not decimal, host
// bits set past the prefix (a typo more often than not), an IPv6 scope id.
std::optional<std::vector<ip_network>> parse_ip_network_list(std::string_view text,
                                                             std::string* error = nullptr);

// Whether `address` (text, IPv4 or IPv6; an IPv4-mapped IPv6 address counts as
// its IPv4 address) lies in one of `networks`. False for text that is no address.
bool in_networks(std::string_view address, const std::vector<ip_network>& networks);

// The client address of a request that came from TCP peer `peer` carrying the
// X-Forwarded-For lines `forwarded_for` (all of them joined with ", ", or
// nullptr when there is none):
//  - the peer itself unless the peer is in `trusted` (so with no trusted
//    proxies, the header is never read);
//  - otherwise the right-most X-Forwarded-For entry that is not itself in
//    `trusted`, walking from the right; when every entry is trusted, the
//    left-most one.
// Entries may be bare addresses, "a.b.c.d:port", "[v6]" or "[v6]:port"; empty
// ones (", ,") are skipped. A malformed entry ends the walk: nobody trusted
// vouches for what lies left of it, so the client is the last address reached
// before it (the peer when it is the first from the right). A forwarded address
// is returned in Asio's canonical spelling (IPv4-mapped IPv6 as IPv4), so that
// one client is one limiter bucket however a proxy spelt it.
std::string client_address(std::string_view peer, const std::string* forwarded_for,
                           const std::vector<ip_network>& trusted);

}  // namespace svc::http
