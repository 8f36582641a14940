#include "http/client_address.hpp"

#include <algorithm>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/network_v4.hpp>
#include <boost/asio/ip/network_v6.hpp>

namespace svc::http {
namespace {

namespace ip = boost::asio::ip;

std::string_view trim_blanks(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
    text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t'))
    text.remove_suffix(1);
  return text;
}

// Splits at ',' (no quoting: neither CIDR blocks nor addresses contain commas).
std::vector<std::string_view> split_commas(std::string_view text) {
  std::vector<std::string_view> items;
  for (;;) {
    auto comma = text.find(',');
    items.push_back(trim_blanks(text.substr(0, comma)));
    if (comma == std::string_view::npos)
      return items;
    text.remove_prefix(comma + 1);
  }
}

std::string quoted(std::string_view text) {
  std::string out = "\"";
  for (char c : text)
    out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? '?' : c;
  return out + "\"";
}

// An IPv4-mapped IPv6 address (::ffff:a.b.c.d) as the IPv4 address it is.
ip::address unmapped(const ip::address& a) {
  if (a.is_v6() && a.to_v6().is_v4_mapped())
    return ip::make_address_v4(ip::v4_mapped, a.to_v6());
  return a;
}

// An address without a scope id ("fe80::1%eth0" is refused: a scope names an
// interface of the machine that wrote it, nothing a client address can carry).
std::optional<ip::address> parse_address(std::string_view text) {
  boost::system::error_code ec;
  auto a = ip::make_address(std::string{text}, ec);
  if (ec || (a.is_v6() && a.to_v6().scope_id() != 0))
    return std::nullopt;
  return a;
}

bool in_network(const ip_network& n, const ip::address& address) {
  std::array<std::uint8_t, 16> bytes{};
  if (address.is_v4()) {
    if (n.v6)
      return false;
    auto b = address.to_v4().to_bytes();
    std::copy(b.begin(), b.end(), bytes.begin());
  } else {
    if (!n.v6)
      return false;
    auto b = address.to_v6().to_bytes();
    std::copy(b.begin(), b.end(), bytes.begin());
  }
  const unsigned whole = n.prefix_length / 8, rest = n.prefix_length % 8;
  if (!std::equal(bytes.begin(), bytes.begin() + whole, n.bytes.begin()))
    return false;
  if (rest == 0)
    return true;
  const auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
  return (bytes[whole] & mask) == (n.bytes[whole] & mask);
}

bool in_any(const std::vector<ip_network>& networks, const ip::address& address) {
  return std::any_of(networks.begin(), networks.end(),
                     [&](const ip_network& n) { return in_network(n, address); });
}

ip_network from_v4(const ip::address_v4& address, unsigned prefix) {
  ip_network n;
  auto b = address.to_bytes();
  std::copy(b.begin(), b.end(), n.bytes.begin());
  n.prefix_length = prefix;
  return n;
}

ip_network from_v6(const ip::address_v6& address, unsigned prefix) {
  // ::ffff:10.0.0.0/104 is 10.0.0.0/8: peers and forwarded addresses are
  // compared in their IPv4 form.
  if (address.is_v4_mapped() && prefix >= 96)
    return from_v4(ip::make_address_v4(ip::v4_mapped, address), prefix - 96);
  ip_network n;
  n.v6 = true;
  auto b = address.to_bytes();
  std::copy(b.begin(), b.end(), n.bytes.begin());
  n.prefix_length = prefix;
  return n;
}

// One item of the list; the reason it is refused in `error`.
std::optional<ip_network> parse_network(std::string_view item, std::string& error) {
  if (item.empty()) {
    error = "an empty item";
    return std::nullopt;
  }
  const auto slash = item.find('/');
  const auto bad = [&](const std::string& why) {
    error = quoted(item) + " " + why;
    return std::nullopt;
  };
  if (slash == std::string_view::npos) {  // a bare address: one host
    auto a = parse_address(item);
    if (!a)
      return bad("is not an IP address or CIDR block");
    return a->is_v4() ? from_v4(a->to_v4(), 32) : from_v6(a->to_v6(), 128);
  }
  auto address = parse_address(item.substr(0, slash));
  if (!address)
    return bad("is not an IP address or CIDR block");
  // Asio checks the prefix (decimal digits, at most 32 or 128) with atoi, which
  // wraps a long one ("/4294967304" would read as 8): three digits at most.
  if (item.size() - slash - 1 > 3)
    return bad(address->is_v4() ? "has no valid IPv4 prefix length (0-32)"
                                : "has no valid IPv6 prefix length (0-128)");
  boost::system::error_code ec;
  if (address->is_v4()) {
    auto net = ip::make_network_v4(std::string{item}, ec);
    if (ec)
      return bad("has no valid IPv4 prefix length (0-32)");
    if (net.address() != net.network())
      return bad("has host bits set (" + net.canonical().to_string() + "?)");
    return from_v4(net.network(), net.prefix_length());
  }
  auto net = ip::make_network_v6(std::string{item}, ec);
  if (ec)
    return bad("has no valid IPv6 prefix length (0-128)");
  if (net.address() != net.network())
    return bad("has host bits set (" + net.canonical().to_string() + "?)");
  return from_v6(net.network(), net.prefix_length());
}

bool is_port_suffix(std::string_view text) {  // ":8080", 0-65535
  if (text.size() < 2 || text.size() > 6 || text.front() != ':')
    return false;
  unsigned port = 0;
  for (char c : text.substr(1)) {
    if (c < '0' || c > '9')
      return false;
    port = port * 10 + static_cast<unsigned>(c - '0');
  }
  return port <= 65535;
}

// One X-Forwarded-For entry: "a.b.c.d", "a.b.c.d:port", "v6", "[v6]", "[v6]:port".
std::optional<ip::address> parse_forwarded(std::string_view entry) {
  if (entry.starts_with('[')) {
    auto close = entry.find(']');
    if (close == std::string_view::npos)
      return std::nullopt;
    auto after = entry.substr(close + 1);
    if (!after.empty() && !is_port_suffix(after))
      return std::nullopt;
    auto a = parse_address(entry.substr(1, close - 1));
    if (!a || !a->is_v6())
      return std::nullopt;
    return unmapped(*a);
  }
  auto colon = entry.find(':');
  if (colon != std::string_view::npos && entry.find(':', colon + 1) == std::string_view::npos) {
    // One colon: an IPv4 address with a port (an IPv6 address has at least two).
    if (!is_port_suffix(entry.substr(colon)))
      return std::nullopt;
    auto a = parse_address(entry.substr(0, colon));
    if (!a || !a->is_v4())
      return std::nullopt;
    return a;
  }
  auto a = parse_address(entry);
  if (!a)
    return std::nullopt;
  return unmapped(*a);
}

}  // namespace

std::string to_string(const ip_network& network) {
  if (network.v6) {
    ip::address_v6::bytes_type b;
    std::copy(network.bytes.begin(), network.bytes.end(), b.begin());
    return ip::address_v6{b}.to_string() + "/" + std::to_string(network.prefix_length);
  }
  ip::address_v4::bytes_type b;
  std::copy(network.bytes.begin(), network.bytes.begin() + 4, b.begin());
  return ip::address_v4{b}.to_string() + "/" + std::to_string(network.prefix_length);
}

std::optional<std::vector<ip_network>> parse_ip_network_list(std::string_view text,
                                                             std::string* error) {
  std::vector<ip_network> networks;
  if (trim_blanks(text).empty())
    return networks;
  std::string why;
  for (auto item : split_commas(text)) {
    auto n = parse_network(item, why);
    if (!n) {
      if (error)
        *error = std::move(why);
      return std::nullopt;
    }
    networks.push_back(*n);
  }
  return networks;
}

bool in_networks(std::string_view address, const std::vector<ip_network>& networks) {
  auto a = parse_address(address);
  return a && in_any(networks, unmapped(*a));
}

std::string client_address(std::string_view peer, const std::string* forwarded_for,
                           const std::vector<ip_network>& trusted) {
  if (trusted.empty() || forwarded_for == nullptr || !in_networks(peer, trusted))
    return std::string{peer};
  std::string client{peer};
  auto entries = split_commas(*forwarded_for);
  for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
    if (it->empty())
      continue;
    auto a = parse_forwarded(*it);
    if (!a)
      break;  // nobody trusted vouches for what lies left of it
    client = a->to_string();
    if (!in_any(trusted, *a))
      break;
  }
  return client;
}

}  // namespace svc::http
