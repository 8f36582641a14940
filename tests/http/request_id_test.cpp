#include "http/request_id.hpp"

#include <regex>
#include <set>
#include <thread>

#include <gtest/gtest.h>

using namespace svc::http;

namespace {

bool is_uuid_v4(const std::string& s) {
  static const std::regex re{
    "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"};
  return std::regex_match(s, re);
}

request with_id(std::string id) {
  request req;
  req.headers.push_back({"x-request-id", std::move(id)});
  return req;
}

}  // namespace

TEST(request_id, valid_ids_are_kept) {
  EXPECT_EQ(request_id_from(with_id("abc-123")), "abc-123");
  EXPECT_EQ(request_id_from(with_id("a b")), "a b");
  EXPECT_EQ(request_id_from(with_id("!~")), "!~");
  std::string longest(128, 'x');
  EXPECT_EQ(request_id_from(with_id(longest)), longest);
}

TEST(request_id, invalid_ids_are_replaced_by_uuid_v4) {
  for (std::string bad :
       {std::string{}, std::string(129, 'x'), std::string{" lead"}, std::string{"trail "},
        std::string{"tab\there"}, std::string{"new\nline"}, std::string{"caf\xC3\xA9"},
        std::string{"del\x7F"}, std::string{"nul\0x", 5}}) {
    auto id = request_id_from(with_id(bad));
    EXPECT_NE(id, bad);
    EXPECT_TRUE(is_uuid_v4(id)) << id;
  }
}

TEST(request_id, absent_header_gives_uuid_v4) {
  EXPECT_TRUE(is_uuid_v4(request_id_from(request{})));
  EXPECT_TRUE(is_uuid_v4(request_id_from(nullptr)));
}

TEST(request_id, generated_ids_are_unique_across_threads) {
  std::vector<std::set<std::string>> seen(4);
  std::vector<std::thread> threads;
  for (auto& s : seen)
    threads.emplace_back([&s] {
      for (int i = 0; i < 500; ++i)
        s.insert(new_request_id());
    });
  for (auto& t : threads)
    t.join();
  std::set<std::string> all;
  for (auto& s : seen)
    all.insert(s.begin(), s.end());
  EXPECT_EQ(all.size(), 2000u);
}
