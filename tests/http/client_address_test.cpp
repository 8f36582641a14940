// TRUSTED_PROXIES and X-Forwarded-For: the CIDR list, and which address a
// request's client is (http/client_address.hpp). No server, no actors.
#include <gtest/gtest.h>

#include "http/client_address.hpp"

using namespace svc::http;

namespace {

std::vector<ip_network> networks(std::string_view text) {
  std::string error;
  auto list = parse_ip_network_list(text, &error);
  EXPECT_TRUE(list) << text << ": " << error;
  return list.value_or(std::vector<ip_network>{});
}

std::string refused(std::string_view text) {
  std::string error;
  auto list = parse_ip_network_list(text, &error);
  EXPECT_FALSE(list) << text;
  EXPECT_FALSE(error.empty()) << text;
  return error;
}

std::vector<std::string> texts(const std::vector<ip_network>& list) {
  std::vector<std::string> out;
  for (const auto& n : list)
    out.push_back(to_string(n));
  return out;
}

std::string client(std::string_view peer, std::optional<std::string> xff,
                   std::string_view trusted) {
  auto list = networks(trusted);
  return client_address(peer, xff ? &*xff : nullptr, list);
}

}  // namespace

TEST(TrustedProxies, EmptyTextIsAnEmptyList) {
  EXPECT_TRUE(networks("").empty());
  EXPECT_TRUE(networks("  ").empty());
}

TEST(TrustedProxies, ParsesIPv4AndIPv6BlocksAndBareAddresses) {
  EXPECT_EQ(texts(networks("10.0.0.0/8, 192.168.1.7 ,fd00::/8,::1,0.0.0.0/0,::/0,172.16.0.0/12")),
            (std::vector<std::string>{"10.0.0.0/8", "192.168.1.7/32", "fd00::/8", "::1/128",
                                      "0.0.0.0/0", "::/0", "172.16.0.0/12"}));
  // Asio's spelling: one text per network however it was written.
  EXPECT_EQ(texts(networks("FD00:0:0::/16")), (std::vector<std::string>{"fd00::/16"}));
  // An IPv4-mapped block is its IPv4 block.
  EXPECT_EQ(texts(networks("::ffff:10.0.0.0/104")), (std::vector<std::string>{"10.0.0.0/8"}));
}

TEST(TrustedProxies, RefusesMalformedItemsNamingThem) {
  EXPECT_NE(refused("10.0.0.0/33").find("\"10.0.0.0/33\""), std::string::npos);
  EXPECT_NE(refused("10.0.0.0/33").find("0-32"), std::string::npos);
  EXPECT_NE(refused("fd00::/129").find("0-128"), std::string::npos);
  EXPECT_NE(refused("10.0.0.1/8").find("host bits set (10.0.0.0/8?)"), std::string::npos);
  EXPECT_NE(refused("fd00::1/8").find("host bits set (fd00::/8?)"), std::string::npos);
  EXPECT_NE(refused("10.0.0.0/8,,192.168.0.0/16").find("empty item"), std::string::npos);
  EXPECT_NE(refused("10.0.0.0/8,").find("empty item"), std::string::npos);
  for (const char* bad :
       {"localhost", "10.0.0/8", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/+8", "10.0.0.0/8/8",
        "10.0.0.0 /8", "10.0.0.0/ 8", "10.0.0.256", "/8", "10.0.0.0/4294967304", "fe80::1%1/128",
        "fe80::1%eth0", "[::1]", "*", "10.0.0.0/8;192.168.0.0/16"})
    refused(bad);
}

TEST(TrustedProxies, Membership) {
  auto list = networks("10.0.0.0/8,192.168.1.7,fd00::/8,172.16.0.0/12");
  EXPECT_TRUE(in_networks("10.1.2.3", list));
  EXPECT_TRUE(in_networks("192.168.1.7", list));
  EXPECT_FALSE(in_networks("192.168.1.8", list));
  EXPECT_TRUE(in_networks("172.31.255.255", list));
  EXPECT_FALSE(in_networks("172.32.0.0", list));
  EXPECT_TRUE(in_networks("fd12::1", list));
  EXPECT_FALSE(in_networks("fe80::1", list));
  EXPECT_TRUE(in_networks("::ffff:10.9.9.9", list));  // an IPv4 peer on a dual-stack listener
  EXPECT_FALSE(in_networks("::a09:909", list));       // IPv4-compatible is not IPv4-mapped
  EXPECT_FALSE(in_networks("", list));
  EXPECT_FALSE(in_networks("not an address", list));
  EXPECT_FALSE(in_networks("10.0.0.1", {}));
  EXPECT_TRUE(in_networks("203.0.113.9", networks("0.0.0.0/0")));
  EXPECT_FALSE(in_networks("2001:db8::1", networks("0.0.0.0/0")));
}

TEST(ClientAddress, WithoutTrustedProxiesTheHeaderIsIgnored) {
  EXPECT_EQ(client("10.0.0.5", "203.0.113.9", ""), "10.0.0.5");
  EXPECT_EQ(client("10.0.0.5", std::nullopt, ""), "10.0.0.5");
}

TEST(ClientAddress, AnUntrustedPeerIsTheClientWhateverItForwards) {
  EXPECT_EQ(client("198.51.100.1", "203.0.113.9", "10.0.0.0/8"), "198.51.100.1");
}

TEST(ClientAddress, ATrustedPeerWithoutTheHeaderIsTheClient) {
  EXPECT_EQ(client("10.0.0.5", std::nullopt, "10.0.0.0/8"), "10.0.0.5");
  EXPECT_EQ(client("10.0.0.5", "", "10.0.0.0/8"), "10.0.0.5");
  EXPECT_EQ(client("10.0.0.5", " , ", "10.0.0.0/8"), "10.0.0.5");
}

TEST(ClientAddress, TheRightMostUntrustedEntryIsTheClient) {
  EXPECT_EQ(client("10.0.0.5", "203.0.113.9", "10.0.0.0/8"), "203.0.113.9");
  // A client may write anything left of what the proxies append: it is not believed.
  EXPECT_EQ(client("10.0.0.5", "1.1.1.1, 203.0.113.9, 10.0.0.7", "10.0.0.0/8"), "203.0.113.9");
  EXPECT_EQ(client("10.0.0.5", "spoofed, 203.0.113.9", "10.0.0.0/8"), "203.0.113.9");
  // Several header lines arrive joined with ", " (http::request::list_header).
  EXPECT_EQ(client("10.0.0.5", "1.1.1.1, 203.0.113.9, 10.0.0.7, 10.0.0.8", "10.0.0.0/8"),
            "203.0.113.9");
  // Empty entries are skipped.
  EXPECT_EQ(client("10.0.0.5", "203.0.113.9,, 10.0.0.7 ,", "10.0.0.0/8"), "203.0.113.9");
}

TEST(ClientAddress, EveryEntryTrustedMeansTheLeftMost) {
  EXPECT_EQ(client("10.0.0.5", "10.0.0.1, 10.0.0.2", "10.0.0.0/8"), "10.0.0.1");
}

TEST(ClientAddress, AMalformedEntryEndsTheWalkAtTheLastTrustedHop) {
  EXPECT_EQ(client("10.0.0.5", "203.0.113.9, unknown", "10.0.0.0/8"), "10.0.0.5");
  EXPECT_EQ(client("10.0.0.5", "203.0.113.9, garbage, 10.0.0.7", "10.0.0.0/8"), "10.0.0.7");
  EXPECT_EQ(client("10.0.0.5", "203.0.113.9, 1.2.3.4:99999", "10.0.0.0/8"), "10.0.0.5");
  EXPECT_EQ(client("10.0.0.5", "[1.2.3.4]", "10.0.0.0/8"), "10.0.0.5");
  EXPECT_EQ(client("10.0.0.5", "fe80::1%eth0", "10.0.0.0/8"), "10.0.0.5");
}

TEST(ClientAddress, EntriesWithPortsAndIPv6AreCanonical) {
  EXPECT_EQ(client("10.0.0.5", "203.0.113.9:51234", "10.0.0.0/8"), "203.0.113.9");
  EXPECT_EQ(client("10.0.0.5", "[2001:DB8::0:1]:443", "10.0.0.0/8"), "2001:db8::1");
  EXPECT_EQ(client("10.0.0.5", "[2001:db8::1]", "10.0.0.0/8"), "2001:db8::1");
  EXPECT_EQ(client("10.0.0.5", "2001:0db8:0000::1", "10.0.0.0/8"), "2001:db8::1");
  EXPECT_EQ(client("10.0.0.5", "::ffff:203.0.113.9", "10.0.0.0/8"), "203.0.113.9");
}

TEST(ClientAddress, IPv6ProxiesAndMappedPeers) {
  EXPECT_EQ(client("fd00::5", "2001:db8::7, fd00::6", "fd00::/8"), "2001:db8::7");
  EXPECT_EQ(client("::ffff:10.0.0.5", "203.0.113.9", "10.0.0.0/8"), "203.0.113.9");
  // A trusted IPv4 proxy forwarding an IPv6 client, and the other way round.
  EXPECT_EQ(client("10.0.0.5", "2001:db8::7", "10.0.0.0/8"), "2001:db8::7");
  EXPECT_EQ(client("fd00::5", "203.0.113.9", "fd00::/8,10.0.0.0/8"), "203.0.113.9");
}
