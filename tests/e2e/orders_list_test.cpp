// GET /api/v1/orders: filters (status, user_id, search), pagination and meta, and
// 400 on bad list parameters.
#include <algorithm>
#include <functional>
#include <iterator>
#include <set>

#include "e2e/orders_fixture.hpp"

namespace e2e {
namespace {

class OrdersList : public orders_suite {
protected:
  // GET target; expects 200 and a list envelope; returns the body.
  json list(const std::string& target) {
    const auto r = orders().get(target);
    EXPECT_EQ(r.status, 200u) << "GET " << target << " -> " << describe(r);
    if (r.status != 200 || !is_json_body(r))
      return json::object();
    auto j = r.json();
    EXPECT_EQ(j.value("success", false), true) << r.body;
    EXPECT_TRUE(j.contains("data") && j["data"].is_array()) << r.body;
    EXPECT_TRUE(j.contains("meta") && j["meta"].is_object()) << r.body;
    return j;
  }
  static json meta(long long page, long long size, long long total, long long pages) {
    return {{"page", page}, {"page_size", size}, {"total", total}, {"total_pages", pages}};
  }
  static std::vector<long long> ids(const json& list_body) {
    std::vector<long long> out;
    for (const auto& o : list_body.value("data", json::array()))
      out.push_back(o.value("id", 0LL));
    return out;
  }
  // Creates n pending orders of a new user; their ids in creation order.
  std::vector<long long> create_orders(const std::string& who, int n) {
    std::vector<long long> out;
    const auto uid = create_user(who);
    for (int i = 0; uid > 0 && i < n; ++i) {
      const auto o = create_order(
        {{"user_id", uid}, {"product_name", who + " " + tag()}, {"quantity", 1}, {"price", 1}});
      if (o.contains("id"))
        out.push_back(o["id"].get<long long>());
    }
    return out;
  }
};

TEST_F(OrdersList, FiltersPaginationAndExactMeta) {
  const auto a = create_user("alice");
  const auto b = create_user("bob");
  const auto c = create_user("carol");  // no orders
  ASSERT_GT(a, 0);
  ASSERT_GT(b, 0);
  ASSERT_GT(c, 0);
  const auto t = tag();

  std::vector<long long> created;  // in creation order
  const std::vector<std::pair<long long, const char*>> plan = {
    {a, "pending"}, {a, "confirmed"}, {b, "cancelled"}, {a, "pending"},
    {a, "shipped"}, {b, "pending"},   {a, "pending"},
  };
  for (std::size_t i = 0; i < plan.size(); ++i) {
    const auto who = plan[i].first == a ? "Alpha " : "Beta ";
    json body = {{"user_id", plan[i].first},
                 {"product_name", who + t + " item" + std::to_string(i)},
                 {"quantity", static_cast<int>(i) + 1},
                 {"price", 1.25}};
    if (std::string{plan[i].second} != "pending")
      body["status"] = plan[i].second;
    const auto o = create_order(body);
    ASSERT_TRUE(o.contains("id"));
    created.push_back(o["id"].get<long long>());
  }
  const std::vector<long long> newest_first(created.rbegin(), created.rend());

  // Everything with the tag: defaults page 1, page_size 10; newest first.
  auto all = list("/api/v1/orders?search=" + t);
  EXPECT_EQ(all["meta"], meta(1, 10, 7, 1)) << all.dump();
  EXPECT_EQ(ids(all), newest_first) << "newest first (id descending)";
  for (const auto& o : all.value("data", json::array()))
    EXPECT_TRUE(is_order(o));

  // search: case-insensitive substring of product_name.
  std::string upper = t;
  for (auto& ch : upper)
    ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  EXPECT_EQ(list("/api/v1/orders?search=" + upper)["meta"], meta(1, 10, 7, 1))
    << "case-insensitive";
  EXPECT_EQ(list("/api/v1/orders?search=" + url_encode("beta " + t))["meta"], meta(1, 10, 2, 1));
  EXPECT_EQ(list("/api/v1/orders?search=" + url_encode(t + " item3"))["meta"], meta(1, 10, 1, 1));
  EXPECT_EQ(list("/api/v1/orders?search=" + t + "nomatch")["meta"], meta(1, 10, 0, 0))
    << "no match: 0 pages";

  // status
  auto pending = list("/api/v1/orders?status=pending&search=" + t);
  EXPECT_EQ(pending["meta"], meta(1, 10, 4, 1)) << pending.dump();
  for (const auto& o : pending.value("data", json::array()))
    EXPECT_EQ(o.value("status", ""), "pending") << o.dump();
  EXPECT_EQ(list("/api/v1/orders?status=shipped&search=" + t)["meta"], meta(1, 10, 1, 1));
  EXPECT_EQ(list("/api/v1/orders?status=delivered&search=" + t)["meta"], meta(1, 10, 0, 0));

  // user_id
  auto of_a = list("/api/v1/orders?user_id=" + std::to_string(a) + "&search=" + t);
  EXPECT_EQ(of_a["meta"], meta(1, 10, 5, 1)) << of_a.dump();
  for (const auto& o : of_a.value("data", json::array()))
    EXPECT_EQ(o.value("user_id", 0LL), a) << o.dump();
  EXPECT_EQ(list("/api/v1/orders?user_id=" + std::to_string(b))["meta"], meta(1, 10, 2, 1));
  EXPECT_EQ(list("/api/v1/orders?user_id=" + std::to_string(c))["meta"], meta(1, 10, 0, 0));
  auto combined = list("/api/v1/orders?user_id=" + std::to_string(b) +
                       "&status=cancelled&search=" + t);
  EXPECT_EQ(combined["meta"], meta(1, 10, 1, 1)) << combined.dump();
  EXPECT_EQ(ids(combined), (std::vector<long long>{created[2]}));
  EXPECT_EQ(
    list("/api/v1/orders?user_id=" + std::to_string(a) + "&status=pending&search=" + t)["meta"],
    meta(1, 10, 3, 1));

  // Pagination: 7 orders, 3 a page.
  std::vector<long long> paged;
  for (int page = 1; page <= 3; ++page) {
    auto p = list("/api/v1/orders?page_size=3&page=" + std::to_string(page) + "&search=" + t);
    EXPECT_EQ(p["meta"], meta(page, 3, 7, 3)) << "page " << page << ": " << p.dump();
    EXPECT_EQ(p.value("data", json::array()).size(), page < 3 ? 3u : 1u) << "page " << page;
    for (auto id : ids(p))
      paged.push_back(id);
  }
  EXPECT_EQ(paged, newest_first)
    << "the pages together are the whole list, in order, without repeats";
  auto past = list("/api/v1/orders?page_size=3&page=4&search=" + t);
  EXPECT_EQ(past["meta"], meta(4, 3, 7, 3)) << past.dump();
  EXPECT_TRUE(past.value("data", json{1}).empty())
    << "a page past the end is empty: " << past.dump();
  auto exact = list("/api/v1/orders?page_size=7&search=" + t);
  EXPECT_EQ(exact["meta"], meta(1, 7, 7, 1));
  auto single = list("/api/v1/orders?page_size=1&page=7&search=" + t);
  EXPECT_EQ(single["meta"], meta(7, 1, 7, 7));
  EXPECT_EQ(ids(single), (std::vector<long long>{created[0]})) << "the last page holds the oldest";
  EXPECT_EQ(list("/api/v1/orders?page_size=100&search=" + t)["meta"], meta(1, 100, 7, 1));
}

TEST_F(OrdersList, DeletedOrdersAreNotListed) {
  const auto uid = create_user("lister");
  ASSERT_GT(uid, 0);
  const auto t = tag();
  std::vector<long long> ids_created;
  for (int i = 0; i < 3; ++i) {
    const auto o = create_order(
      {{"user_id", uid}, {"product_name", "Del " + t}, {"quantity", 1}, {"price", 1}});
    ASSERT_TRUE(o.contains("id"));
    ids_created.push_back(o["id"].get<long long>());
  }
  const auto del = orders().del("/api/v1/orders/" + std::to_string(ids_created[1]));
  ASSERT_EQ(del.status, 204u) << describe(del);
  auto l = list("/api/v1/orders?search=" + t);
  EXPECT_EQ(l["meta"], meta(1, 10, 2, 1)) << l.dump();
  EXPECT_EQ(ids(l), (std::vector<long long>{ids_created[2], ids_created[0]}));
  EXPECT_EQ(list("/api/v1/orders?user_id=" + std::to_string(uid))["meta"].value("total", -1), 2);
}

// Without `search` or `user_id` the page comes from another statement than with
// them: a deleted order must be left out of its rows, not only out of
// meta.total. The orders are the newest of the suite's database, so they head
// the first page.
TEST_F(OrdersList, DeletedOrdersAreNotListedWithoutFilters) {
  const auto created = create_orders("unfiltered", 4);
  ASSERT_EQ(created.size(), 4u);
  ASSERT_EQ(orders().del("/api/v1/orders/" + std::to_string(created[2])).status, 204u);
  const std::vector<long long> live = {created[3], created[1], created[0]};  // id descending

  auto unfiltered = ids(list("/api/v1/orders?page_size=5"));
  ASSERT_GE(unfiltered.size(), live.size());
  EXPECT_EQ(std::vector<long long>(unfiltered.begin(), unfiltered.begin() + 3), live);

  auto pending = ids(list("/api/v1/orders?status=pending&page_size=5"));
  ASSERT_GE(pending.size(), live.size());
  EXPECT_EQ(std::vector<long long>(pending.begin(), pending.begin() + 3), live);
  EXPECT_EQ(std::count(pending.begin(), pending.end(), created[2]), 0);
}

// Every page of the unfiltered list, walked with a small page size: the pages
// are disjoint and descending, hold meta.total rows in all, and hold each order
// created here exactly once (and never the deleted one). Other tests' orders may
// sit between them, hence relative order only.
TEST_F(OrdersList, WalkingEveryUnfilteredPageSeesEachLiveOrderOnce) {
  const auto created = create_orders("walk", 7);
  ASSERT_EQ(created.size(), 7u);
  ASSERT_EQ(orders().del("/api/v1/orders/" + std::to_string(created[4])).status, 204u);
  std::vector<long long> live;
  for (auto it = created.rbegin(); it != created.rend(); ++it)
    if (*it != created[4])
      live.push_back(*it);

  for (const std::string filter : {"", "status=pending&"}) {
    SCOPED_TRACE("filter: \"" + filter + "\"");
    EXPECT_EQ(only_these(walk_every_page(orders(), "/api/v1/orders?" + filter), created), live);
  }
}

TEST_F(OrdersList, SearchMatchesPercentAndUnderscoreLiterally) {
  const auto uid = create_user("literal");
  ASSERT_GT(uid, 0);
  const auto t = tag();
  create_order(
    {{"user_id", uid}, {"product_name", "Deal " + t + "% off"}, {"quantity", 1}, {"price", 1}});
  create_order(
    {{"user_id", uid}, {"product_name", "Deal " + t + "X off"}, {"quantity", 1}, {"price", 1}});
  EXPECT_EQ(list("/api/v1/orders?search=" + t)["meta"].value("total", -1), 2);
  EXPECT_EQ(list("/api/v1/orders?search=" + url_encode(t + "%"))["meta"].value("total", -1), 1)
    << "% matches only a literal %";
  EXPECT_EQ(list("/api/v1/orders?search=" + url_encode(t + "_"))["meta"].value("total", -1), 0)
    << "_ matches only a literal _";
}

TEST_F(OrdersList, BadListParametersAre400) {
  struct bad_case {
    std::string query;
    std::multiset<std::string> fields;
  };
  const std::vector<bad_case> cases = {
    {"page=0", {"page"}},
    {"page=-1", {"page"}},
    {"page=abc", {"page"}},
    {"page=1.5", {"page"}},
    {"page=", {"page"}},
    {"page_size=0", {"page_size"}},
    {"page_size=101", {"page_size"}},
    {"page_size=ten", {"page_size"}},
    {"status=bogus", {"status"}},
    {"status=PENDING", {"status"}},
    {"user_id=abc", {"user_id"}},
    {"user_id=0", {"user_id"}},
    {"user_id=-3", {"user_id"}},
    {"page=0&page_size=101&status=lost", {"page", "page_size", "status"}},
    {"user_id=1&user_id=1", {"user_id"}},
    {"page=2&page=2&search=a&search=a", {"page", "search"}},
  };
  for (const auto& c : cases) {
    const auto r = orders().get("/api/v1/orders?" + c.query);
    EXPECT_TRUE(is_error(r, 400, "VALIDATION_ERROR")) << "?" << c.query;
    EXPECT_EQ(detail_fields(r), c.fields) << "?" << c.query << " -> " << describe(r);
  }
}

}  // namespace
}  // namespace e2e
