// GET /api/v1/users: paging, meta, filters and parameter validation. Most tests
// scope their list with a unique `search` tag, so the counts are exact although
// the suite shares one database; those without a search (another statement)
// check where their own users appear.
#include <algorithm>
#include <functional>
#include <iterator>

#include "e2e/e2e_fixture.hpp"

namespace e2e {
namespace {

class UsersList : public user_service_suite {
protected:
  // GET /api/v1/users?<query>; expects a 200 list envelope and returns the body.
  json list(const std::string& query) {
    const auto r = client().get("/api/v1/users?" + query);
    EXPECT_EQ(r.status, 200u) << "GET /api/v1/users?" << query << " -> " << describe(r);
    EXPECT_TRUE(is_json_body(r));
    if (r.status != 200)
      return json::object();
    auto j = r.json();
    EXPECT_EQ(j.value("success", false), true) << r.body;
    EXPECT_TRUE(j.contains("data") && j["data"].is_array()) << r.body;
    EXPECT_TRUE(j.contains("meta") && j["meta"].is_object()) << r.body;
    return j;
  }

  static json meta(int page, int page_size, int total, int total_pages) {
    return {
      {"page", page}, {"page_size", page_size}, {"total", total}, {"total_pages", total_pages}};
  }

  static std::vector<long long> ids(const json& j) {
    std::vector<long long> out;
    for (const auto& u : j.value("data", json::array()))
      out.push_back(u.value("id", 0LL));
    return out;
  }

  // Creates n users whose names carry `t`; their ids in creation order.
  std::vector<long long> create_many(const std::string& t, int n) {
    std::vector<long long> out;
    for (int i = 0; i < n; ++i)
      out.push_back(create_user(user_body("member" + std::to_string(i), t)).value("id", 0LL));
    return out;
  }
};

TEST_F(UsersList, PagesAreNewestFirstWithExactMeta) {
  const auto t = tag();
  auto created = create_many(t, 12);
  std::vector<long long> newest_first(created.rbegin(), created.rend());

  auto p1 = list("page=1&page_size=5&search=" + t);
  EXPECT_EQ(p1["meta"], meta(1, 5, 12, 3));
  EXPECT_EQ(ids(p1), std::vector<long long>(newest_first.begin(), newest_first.begin() + 5));
  for (const auto& u : p1.value("data", json::array()))
    EXPECT_TRUE(is_user(u));

  auto p2 = list("page=2&page_size=5&search=" + t);
  EXPECT_EQ(p2["meta"], meta(2, 5, 12, 3));
  EXPECT_EQ(ids(p2), std::vector<long long>(newest_first.begin() + 5, newest_first.begin() + 10));

  auto p3 = list("page=3&page_size=5&search=" + t);
  EXPECT_EQ(p3["meta"], meta(3, 5, 12, 3));
  EXPECT_EQ(ids(p3), std::vector<long long>(newest_first.begin() + 10, newest_first.end()));

  auto past = list("page=4&page_size=5&search=" + t);
  EXPECT_EQ(past["meta"], meta(4, 5, 12, 3));
  EXPECT_TRUE(past["data"].is_array() && past["data"].empty()) << past.dump();

  auto far = list("page=1000&page_size=5&search=" + t);
  EXPECT_EQ(far["meta"], meta(1000, 5, 12, 3));
  EXPECT_TRUE(far["data"].is_array() && far["data"].empty()) << far.dump();

  auto whole = list("page_size=12&search=" + t);
  EXPECT_EQ(whole["meta"], meta(1, 12, 12, 1));
  EXPECT_EQ(ids(whole), newest_first);

  auto ones = list("page=12&page_size=1&search=" + t);
  EXPECT_EQ(ones["meta"], meta(12, 1, 12, 12));
  EXPECT_EQ(ids(ones), std::vector<long long>{created.front()});
}

TEST_F(UsersList, DefaultsArePageOneOfTen) {
  const auto t = tag();
  auto created = create_many(t, 11);
  auto j = list("search=" + t);
  EXPECT_EQ(j["meta"], meta(1, 10, 11, 2));
  EXPECT_EQ(ids(j).size(), 10u);
  if (!created.empty() && !ids(j).empty()) {
    EXPECT_EQ(ids(j).front(), created.back());
  }
}

TEST_F(UsersList, EmptyResultHasZeroPages) {
  auto j = list("search=" + tag());
  EXPECT_EQ(j["meta"], meta(1, 10, 0, 0));
  EXPECT_TRUE(j["data"].is_array() && j["data"].empty()) << j.dump();
  auto past = list("page=3&page_size=7&search=" + tag());
  EXPECT_EQ(past["meta"], meta(3, 7, 0, 0));
}

TEST_F(UsersList, StatusFiltersTheList) {
  const auto t = tag();
  for (int i = 0; i < 3; ++i)
    create_user(user_body("act" + std::to_string(i), t));
  for (int i = 0; i < 2; ++i) {
    auto body = user_body("inact" + std::to_string(i), t);
    body["status"] = "inactive";
    create_user(body);
  }
  auto active = list("status=active&search=" + t);
  EXPECT_EQ(active["meta"], meta(1, 10, 3, 1));
  for (const auto& u : active.value("data", json::array()))
    EXPECT_EQ(u.value("status", ""), "active");
  auto inactive = list("status=inactive&search=" + t);
  EXPECT_EQ(inactive["meta"], meta(1, 10, 2, 1));
  for (const auto& u : inactive.value("data", json::array()))
    EXPECT_EQ(u.value("status", ""), "inactive");
  EXPECT_EQ(list("search=" + t)["meta"], meta(1, 10, 5, 1));
}

// Without a search the totals come from counters kept by a trigger (not from a
// count of the table): they must follow creates, status changes and deletes.
// Deltas, since other tests of the suite add users too (never concurrently).
TEST_F(UsersList, UnfilteredTotalsFollowCreatesStatusChangesAndDeletes) {
  auto total = [&](const std::string& query) { return list(query)["meta"].value("total", -1LL); };
  const auto all0 = total("page_size=1"), active0 = total("status=active"),
             inactive0 = total("status=inactive");
  const auto t = tag();
  auto a = create_user(user_body("count-a", t)).value("id", 0LL);
  create_user(user_body("count-b", t));
  auto inactive = user_body("count-c", t);
  inactive["status"] = "inactive";
  auto c = create_user(inactive).value("id", 0LL);
  EXPECT_EQ(client().put("/api/v1/users/" + std::to_string(a), {{"status", "inactive"}}).status,
            200u);
  EXPECT_EQ(client().del("/api/v1/users/" + std::to_string(c)).status, 204u);
  EXPECT_EQ(total("page_size=1"), all0 + 2);
  EXPECT_EQ(total("status=active"), active0 + 1);
  EXPECT_EQ(total("status=inactive"), inactive0 + 1);
  auto page = list("page=1&page_size=100");
  EXPECT_EQ(page["meta"].value("total_pages", -1LL), (all0 + 2 + 99) / 100);
}

// Without `search` the page comes from another statement than with it: a
// deleted user must be left out of its rows, not only out of meta.total. The
// users are the newest of the suite's database, so they head the first page.
TEST_F(UsersList, DeletedUsersAreNotListedWithoutFilters) {
  const auto t = tag();
  auto created = create_many(t, 4);
  ASSERT_EQ(client().del("/api/v1/users/" + std::to_string(created[2])).status, 204u);
  const std::vector<long long> live = {created[3], created[1], created[0]};  // id descending

  auto unfiltered = ids(list("page_size=5"));
  ASSERT_GE(unfiltered.size(), live.size());
  EXPECT_EQ(std::vector<long long>(unfiltered.begin(), unfiltered.begin() + 3), live);

  auto active = ids(list("status=active&page_size=5"));
  ASSERT_GE(active.size(), live.size());
  EXPECT_EQ(std::vector<long long>(active.begin(), active.begin() + 3), live);
  EXPECT_EQ(std::count(active.begin(), active.end(), created[2]), 0);
}

// Every page of the unfiltered list, walked with a small page size: the pages
// are disjoint and descending, hold meta.total rows in all, and hold each user
// created here exactly once (and never the deleted one). Other tests' users may
// sit between them, hence relative order only.
TEST_F(UsersList, WalkingEveryUnfilteredPageSeesEachLiveUserOnce) {
  const auto t = tag();
  auto created = create_many(t, 7);
  ASSERT_EQ(client().del("/api/v1/users/" + std::to_string(created[4])).status, 204u);
  std::vector<long long> live;
  for (auto it = created.rbegin(); it != created.rend(); ++it)
    if (*it != created[4])
      live.push_back(*it);

  for (const std::string filter : {"", "status=active&"}) {
    SCOPED_TRACE("filter: \"" + filter + "\"");
    EXPECT_EQ(only_these(walk_every_page(client(), "/api/v1/users?" + filter), created), live);
  }
}

TEST_F(UsersList, SearchMatchesNameOrEmailCaseInsensitively) {
  const auto t = tag();
  const auto by_name = create_user(
    {{"name", "Alpha " + t + " Person"}, {"email", "alpha." + tag() + "@example.com"}});
  const auto by_email = create_user(
    {{"name", "Beta Person"}, {"email", "beta." + t + "@example.com"}});
  create_user({{"name", "Gamma Person"}, {"email", "gamma." + tag() + "@example.com"}});
  const std::vector<long long> both = {by_email.value("id", 0LL), by_name.value("id", 0LL)};

  EXPECT_EQ(ids(list("search=" + t)), both);
  std::string upper = t;
  for (auto& c : upper)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(ids(list("search=" + upper)), both) << "search must be case-insensitive";
  EXPECT_EQ(ids(list("search=" + url_encode("alpha " + upper))), std::vector<long long>{both[1]});
  EXPECT_EQ(ids(list("search=" + url_encode("BETA." + upper + "@"))),
            std::vector<long long>{both[0]});
  // A substring from the middle of the tag.
  EXPECT_EQ(ids(list("search=" + t.substr(1, t.size() - 2))), both);
}

TEST_F(UsersList, SearchTreatsLikeWildcardsLiterally) {
  const auto t = tag();
  const auto underscore = create_user(
    {{"name", "Pat " + t + "_x"}, {"email", "u1." + tag() + "@example.com"}});
  create_user({{"name", "Pat " + t + "Ax"}, {"email", "u2." + tag() + "@example.com"}});
  const auto percent = create_user(
    {{"name", "Pat " + t + "%y"}, {"email", "p1." + tag() + "@example.com"}});
  create_user({{"name", "Pat " + t + "ZZy"}, {"email", "p2." + tag() + "@example.com"}});
  EXPECT_EQ(ids(list("search=" + url_encode(t + "_x"))),
            std::vector<long long>{underscore.value("id", 0LL)});
  EXPECT_EQ(ids(list("search=" + url_encode(t + "%y"))),
            std::vector<long long>{percent.value("id", 0LL)});
  EXPECT_EQ(list("search=" + url_encode(t + "\\"))["meta"], meta(1, 10, 0, 0));
}

TEST_F(UsersList, BadParametersAreValidationErrorsNotClamped) {
  const std::vector<std::pair<std::string, std::string>> cases = {
    {"page=0", "page"},
    {"page=-1", "page"},
    {"page=abc", "page"},
    {"page=1.5", "page"},
    {"page=99999999999999999999", "page"},
    {"page_size=0", "page_size"},
    {"page_size=101", "page_size"},
    {"page_size=-5", "page_size"},
    {"page_size=ten", "page_size"},
    {"page_size=1000", "page_size"},
    {"status=deleted", "status"},
    {"status=ACTIVE", "status"},
    // A repeated parameter is refused, not read as its last value.
    {"page=1&page=2", "page"},
    {"page_size=5&page_size=5", "page_size"},
    {"status=active&status=inactive", "status"},
    {"search=a&search=b", "search"},
  };
  for (const auto& [query, field] : cases) {
    const auto r = client().get("/api/v1/users?" + query);
    EXPECT_TRUE(is_error(r, 400, "VALIDATION_ERROR")) << "query " << query;
    EXPECT_EQ(detail_fields(r), (std::multiset<std::string>{field}))
      << "query " << query << " -> " << describe(r);
  }
  const auto both = client().get("/api/v1/users?page=0&page_size=500");
  EXPECT_TRUE(is_error(both, 400, "VALIDATION_ERROR"));
  EXPECT_EQ(detail_fields(both), (std::multiset<std::string>{"page", "page_size"}))
    << describe(both);

  // The edges of the ranges are fine.
  const auto t = tag();
  EXPECT_EQ(list("page_size=100&search=" + t)["meta"], meta(1, 100, 0, 0));
  EXPECT_EQ(list("page_size=1&search=" + t)["meta"], meta(1, 1, 0, 0));
}

}  // namespace
}  // namespace e2e
