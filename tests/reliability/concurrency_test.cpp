// Conflicting writes at the same moment, against the real user-service: the
// database decides, exactly one wins, every loser gets a clear 409 (or 412 for a stale If-Match), and the
// stored state is the winner's. (Concurrent retries of one Idempotency-Key:
// tests/e2e/orders_concurrency_test.cpp, ConcurrentIdempotentRetriesCreateExactlyOneOrder.)
#include <cctype>
#include <iostream>

#include <pqxx/pqxx>

#include "reliability/reliability_fixture.hpp"
#include "support/pg_env.hpp"

namespace reliability {
namespace {

class ReliabilityConcurrency : public e2e::user_service_suite {
protected:
  // The database of this suite's user-service (see user_service_suite::SetUpTestSuite).
  static std::string database() { return "e2e_users_reliabilityconcurrency"; }
};

constexpr int racers = 8;
constexpr int rounds = 5;

// Indexes of the racers that got `status`; transport errors fail the test.
std::vector<int> with_status(const std::vector<race_result>& results, unsigned status) {
  std::vector<int> out;
  for (std::size_t i = 0; i < results.size(); ++i) {
    EXPECT_TRUE(results[i].error.empty()) << "racer " << i << ": " << results[i].error;
    if (results[i].response.status == status)
      out.push_back(static_cast<int>(i));
  }
  return out;
}

TEST_F(ReliabilityConcurrency, SameEmailAtOnceCreatesExactlyOneUser) {
  pqxx::connection conn{svc_test::database_url(database())};
  for (int round = 0; round < rounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    const auto t = tag();
    // The same address in different letter cases: one address to the service.
    const auto results = race(port(), racers, [&](int i, svc_test::http_client& c) {
      std::string email = "race." + t + "@example.com";
      if (i % 2 == 1)
        for (auto& ch : email)
          ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      return c.post("/api/v1/users",
                    {{"name", "Racer " + std::to_string(i) + " " + t}, {"email", email}});
    });
    const auto won = with_status(results, 201);
    const auto lost = with_status(results, 409);
    EXPECT_EQ(won.size(), 1u) << "exactly one create wins";
    EXPECT_EQ(lost.size(), static_cast<std::size_t>(racers - 1)) << "every other create is a 409";
    for (int i : lost)
      EXPECT_TRUE(e2e::is_error(results[static_cast<std::size_t>(i)].response, 409, "CONFLICT"));
    pqxx::work tx{conn};
    const auto rows =
      tx.exec_params1("SELECT count(*) FROM users WHERE lower(email) = $1 AND deleted_at IS NULL",
                      "race." + t + "@example.com")[0]
        .as<int>();
    EXPECT_EQ(rows, 1) << "one live row for the address";
    if (won.size() == 1) {
      const auto winner = results[static_cast<std::size_t>(won[0])].response.json()["data"];
      EXPECT_EQ(winner.value("email", ""), "race." + t + "@example.com") << "stored lower-case";
      EXPECT_EQ(winner.value("name", ""), "Racer " + std::to_string(won[0]) + " " + t);
    }
  }
}

TEST_F(ReliabilityConcurrency, SameIfMatchAtOnceLetsExactlyOneUpdateWin) {
  const auto t = tag();
  const auto user = create_user(user_body("versioned", t));
  ASSERT_TRUE(user.contains("id"));
  const auto item = "/api/v1/users/" + std::to_string(user["id"].get<long long>());
  auto etag = client().get(item).header("etag");
  ASSERT_FALSE(etag.empty());
  for (int round = 0; round < rounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round) + ", If-Match " + etag);
    const auto results = race(port(), racers, [&](int i, svc_test::http_client& c) {
      return c.put(item, {{"age", round * 10 + i}}, {{"If-Match", etag}});
    });
    const auto won = with_status(results, 200);
    const auto lost = with_status(results, 412);
    ASSERT_EQ(won.size(), 1u) << "exactly one update with the same If-Match wins";
    EXPECT_EQ(lost.size(), static_cast<std::size_t>(racers - 1));
    for (int i : lost)
      EXPECT_TRUE(
        e2e::is_error(results[static_cast<std::size_t>(i)].response, 412, "PRECONDITION_FAILED"));
    const auto& winner = results[static_cast<std::size_t>(won[0])].response;
    const auto now = client().get(item);
    EXPECT_EQ(now.json()["data"].value("age", -1), round * 10 + won[0])
      << "the stored age is the winner's";
    EXPECT_EQ(now.header("etag"), winner.header("etag"));
    EXPECT_NE(now.header("etag"), etag);
    etag = now.header("etag");
  }
  // One version step per round: no lost update advanced it silently.
  EXPECT_EQ(etag, "\"" + std::to_string(1 + rounds) + "\"");
}

TEST_F(ReliabilityConcurrency, UpdateAndDeleteWithOneIfMatchHaveOneWinner) {
  for (int round = 0; round < 3; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    const auto t = tag();
    const auto user = create_user(user_body("contested", t));
    ASSERT_TRUE(user.contains("id"));
    const auto item = "/api/v1/users/" + std::to_string(user["id"].get<long long>());
    const auto etag = client().get(item).header("etag");
    const auto results = race(port(), racers, [&](int i, svc_test::http_client& c) {
      return i % 2 == 0 ? c.put(item, {{"age", i}}, {{"If-Match", etag}})
                        : c.del(item, {{"If-Match", etag}});
    });
    const auto updated = with_status(results, 200);
    const auto deleted = with_status(results, 204);
    ASSERT_EQ(updated.size() + deleted.size(), 1u) << "one write with the If-Match wins";
    for (std::size_t i = 0; i < results.size(); ++i) {
      const auto& r = results[i].response;
      if (r.status == 200 || r.status == 204)
        continue;
      // A loser sees a changed version (412) or, after a winning delete, no user (404).
      EXPECT_TRUE(e2e::is_error(r, 412, "PRECONDITION_FAILED") ||
                  (!deleted.empty() && e2e::is_error(r, 404, "NOT_FOUND")))
        << "racer " << i << ": " << e2e::describe(r);
    }
    const auto now = client().get(item);
    if (deleted.empty())
      EXPECT_EQ(now.json()["data"].value("age", -1), updated[0]) << e2e::describe(now);
    else
      EXPECT_TRUE(e2e::is_error(now, 404, "NOT_FOUND"));
  }
}

}  // namespace
}  // namespace reliability
