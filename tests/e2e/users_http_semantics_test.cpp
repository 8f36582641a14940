// HTTP semantics clients rely on, over real HTTP against user-service: Location
// on 201, If-None-Match and 304 on a GET of one user, RFC 8288 Link headers on
// list pages, HEAD wherever GET.
#include <regex>
#include <sstream>

#include "e2e/e2e_fixture.hpp"

namespace e2e {
namespace {

class UsersHttpSemantics : public user_service_suite {
protected:
  // rel -> target of a Link header.
  static std::map<std::string, std::string> links(const reply& r) {
    std::map<std::string, std::string> out;
    const auto value = r.header("link");
    static const std::regex one{R"re(<([^>]*)>;\s*rel="([a-z]+)")re"};
    for (auto it = std::sregex_iterator(value.begin(), value.end(), one);
         it != std::sregex_iterator(); ++it)
      out[(*it)[2]] = (*it)[1];
    return out;
  }
};

TEST_F(UsersHttpSemantics, CreatedCarriesLocationAlsoOnAReplay) {
  const auto t = tag();
  const auto body = user_body("located", t);
  const header_map key = {{"Idempotency-Key", "located-" + t}};
  const auto r = client().post("/api/v1/users", body, key);
  ASSERT_EQ(r.status, 201u) << describe(r);
  const auto location = r.header("location");
  EXPECT_EQ(location, "/api/v1/users/" + std::to_string(r.json()["data"].value("id", 0LL)));
  const auto there = client().get(location);
  ASSERT_EQ(there.status, 200u) << describe(there);
  EXPECT_EQ(there.json()["data"], r.json()["data"]);
  EXPECT_EQ(client().post("/api/v1/users", body, key).header("location"), location)
    << "the replay names it too";
}

TEST_F(UsersHttpSemantics, IfNoneMatchWithTheCurrentETagIs304) {
  const auto t = tag();
  const auto u = create_user(user_body("cached", t));
  ASSERT_TRUE(u.contains("id"));
  const auto path = "/api/v1/users/" + std::to_string(u.value("id", 0LL));
  const auto etag = client().get(path).header("etag");
  ASSERT_FALSE(etag.empty());

  for (const std::string& condition :
       std::vector<std::string>{etag, "W/" + etag, "\"77\", " + etag, "*"}) {
    SCOPED_TRACE(condition);
    const auto r = client().get(path, {{"If-None-Match", condition}});
    EXPECT_EQ(r.status, 304u) << describe(r);
    EXPECT_TRUE(r.body.empty()) << r.body;
    EXPECT_EQ(r.header("etag"), etag);
    EXPECT_EQ(r.header("content-length"), "") << "a 304 carries no Content-Length of its own";
  }
  const auto stale = client().get(path, {{"If-None-Match", "\"77\""}});
  EXPECT_EQ(stale.status, 200u) << describe(stale);
  ASSERT_EQ(client().put(path, {{"age", 5}}, {{"If-Match", etag}}).status, 200u);
  EXPECT_EQ(client().get(path, {{"If-None-Match", etag}}).status, 200u)
    << "changed since: the new version is sent";
}

TEST_F(UsersHttpSemantics, ListPagesLinkToFirstPrevNextAndLast) {
  const auto t = tag();
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE(create_user(user_body("linked" + std::to_string(i), t)).contains("id"));
  const auto base = "/api/v1/users?search=" + t + "&page_size=2";

  auto r = client().get(base);
  ASSERT_EQ(r.status, 200u) << describe(r);
  auto l = links(r);
  EXPECT_EQ(l.count("prev"), 0u) << r.header("link");
  ASSERT_EQ(l.count("next"), 1u) << r.header("link");
  ASSERT_EQ(l.count("first"), 1u);
  ASSERT_EQ(l.count("last"), 1u);
  EXPECT_NE(l["last"].find("page=3"), std::string::npos) << l["last"];
  EXPECT_NE(l["next"].find("search=" + t), std::string::npos)
    << "the other parameters stay: " << l["next"];

  // Following next twice reaches the last page, which has no next.
  r = client().get(l["next"]);
  ASSERT_EQ(r.status, 200u) << describe(r);
  EXPECT_EQ(r.json()["meta"].value("page", 0), 2);
  l = links(r);
  ASSERT_EQ(l.count("prev"), 1u);
  r = client().get(l["next"]);
  ASSERT_EQ(r.status, 200u) << describe(r);
  EXPECT_EQ(r.json()["meta"].value("page", 0), 3);
  EXPECT_EQ(r.json()["data"].size(), 1u);
  l = links(r);
  EXPECT_EQ(l.count("next"), 0u) << r.header("link");
  EXPECT_EQ(client().get(l["prev"]).json()["meta"].value("page", 0), 2);
  EXPECT_EQ(client().get(l["first"]).json()["meta"].value("page", 0), 1);
}

TEST_F(UsersHttpSemantics, HeadAnswersWhereGetDoesWithItsHeadersAndNoBody) {
  const auto t = tag();
  const auto u = create_user(user_body("headed", t));
  ASSERT_TRUE(u.contains("id"));
  const auto path = "/api/v1/users/" + std::to_string(u.value("id", 0LL));
  const auto get = client().get(path);
  ASSERT_EQ(get.status, 200u);
  const auto head = client().request("HEAD", path);
  EXPECT_EQ(head.status, 200u) << describe(head);
  EXPECT_TRUE(head.body.empty());
  EXPECT_EQ(head.header("etag"), get.header("etag"));
  EXPECT_EQ(head.header("content-length"), std::to_string(get.body.size()))
    << "the length GET would send";
  EXPECT_EQ(client().get(path).json()["data"], get.json()["data"]) << "HEAD changed nothing";

  const auto list = client().request("HEAD", "/api/v1/users?search=" + t);
  EXPECT_EQ(list.status, 200u) << describe(list);
  EXPECT_FALSE(list.header("link").empty());
  EXPECT_EQ(client().request("HEAD", "/api/v1/users/0").status, 400u)
    << "an error too, without its body";

  const auto patch = client().request("PATCH", path, "{}");
  EXPECT_NE(patch.header("allow").find("HEAD"), std::string::npos) << describe(patch);
}

// The access line says who asked what and what went back: client address,
// method, route and path, status, bytes, duration, user agent, and the trace.
TEST_F(UsersHttpSemantics, TheAccessLineCarriesClientPathBytesAndUserAgent) {
  const auto t = tag();
  const auto u = create_user(user_body("logged", t));
  ASSERT_TRUE(u.contains("id"));
  const auto path = "/api/v1/users/" + std::to_string(u.value("id", 0LL));
  const auto rid = "access-" + t;
  const auto r = client().get(path,
                              {{"X-Request-ID", rid}, {"User-Agent", "e2e-agent/1.0 (" + t + ")"}});
  ASSERT_EQ(r.status, 200u);
  json line;
  ASSERT_TRUE(poll_until(
    [&] {
      std::istringstream in{service().log_text()};
      for (std::string text; std::getline(in, text);) {
        auto j = json::parse(text, nullptr, false);
        if (j.is_object() && j.value("request_id", "") == rid && j.value("msg", "") == "request")
          line = j;
      }
      return line.is_object();
    },
    std::chrono::seconds{5}));
  EXPECT_EQ(line.value("client", ""), "127.0.0.1") << line.dump();
  EXPECT_EQ(line.value("method", ""), "GET");
  EXPECT_EQ(line.value("route", ""), "/api/v1/users/{id}");
  EXPECT_EQ(line.value("path", ""), path);
  EXPECT_EQ(line.value("status", 0), 200);
  EXPECT_EQ(line.value("bytes", -1LL), static_cast<long long>(r.body.size()));
  EXPECT_EQ(line.value("user_agent", ""), "e2e-agent/1.0 (" + t + ")");
  EXPECT_EQ(line.value("trace_id", "").size(), 32u);
  EXPECT_EQ(line.value("span_id", "").size(), 16u);
  EXPECT_TRUE(line.contains("duration_ms"));
}

// The contract in the repository (docs/api/user-service.yaml) is the one served,
// and it documents exactly the routes of services/user-service/main.cpp.
TEST_F(UsersHttpSemantics, ServesItsOpenApiDocumentWithExactlyItsRoutes) {
  EXPECT_TRUE(serves_its_openapi_document(
    client(), {"GET /api/v1/users", "POST /api/v1/users", "GET /api/v1/users/{id}",
               "PUT /api/v1/users/{id}", "DELETE /api/v1/users/{id}"}));
}

}  // namespace
}  // namespace e2e
