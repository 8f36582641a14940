#include <gtest/gtest.h>

#include "http/page_links.hpp"

using namespace svc::http;

TEST(PageLinks, MiddlePageHasAllFourAndKeepsTheOtherParameters) {
  auto links = page_links("/api/v1/users",
                          {{"search", "a b&c"}, {"page", "2"}, {"status", "active"}}, 2, 10, 5);
  EXPECT_EQ(links,
            "</api/v1/users?search=a%20b%26c&status=active&page_size=10&page=1>; rel=\"first\", "
            "</api/v1/users?search=a%20b%26c&status=active&page_size=10&page=1>; rel=\"prev\", "
            "</api/v1/users?search=a%20b%26c&status=active&page_size=10&page=3>; rel=\"next\", "
            "</api/v1/users?search=a%20b%26c&status=active&page_size=10&page=5>; rel=\"last\"");
}

TEST(PageLinks, FirstAndLastPagesLeaveOutWhatDoesNotExist) {
  EXPECT_EQ(page_links("/o", {}, 1, 10, 1),
            "</o?page_size=10&page=1>; rel=\"first\", </o?page_size=10&page=1>; rel=\"last\"");
  EXPECT_EQ(page_links("/o", {}, 1, 10, 0),
            "</o?page_size=10&page=1>; rel=\"first\", </o?page_size=10&page=1>; rel=\"last\"")
    << "an empty list still has page 1";
  auto last = page_links("/o", {{"page_size", "3"}}, 4, 3, 4);
  EXPECT_EQ(last.find("rel=\"next\""), std::string::npos) << last;
  EXPECT_NE(last.find("</o?page_size=3&page=3>; rel=\"prev\""), std::string::npos) << last;
}

TEST(PageLinks, APagePastTheEndLinksBackToTheLast) {
  auto links = page_links("/o", {}, 9, 10, 2);
  EXPECT_NE(links.find("</o?page_size=10&page=2>; rel=\"prev\""), std::string::npos) << links;
  EXPECT_EQ(links.find("rel=\"next\""), std::string::npos) << links;
}
