// Concurrent clients: many creates at once lose nothing; concurrent retries of one
// Idempotency-Key create exactly one order.
#include <iostream>
#include <latch>
#include <mutex>
#include <set>
#include <thread>

#include "e2e/orders_fixture.hpp"

namespace e2e {
namespace {

using namespace std::chrono_literals;

class OrdersConcurrency : public orders_suite {};

struct outcome {
  unsigned status = 0;
  long long id = 0;
  bool validated = false;
  std::string body;
  std::string error;  // transport error
};

TEST_F(OrdersConcurrency, ConcurrentCreatesAreAllStored) {
  const auto uid = create_user("crowd");
  ASSERT_GT(uid, 0);
  const auto t = tag();
  constexpr int threads = 8;
  constexpr int per_thread = 10;
  std::vector<std::vector<outcome>> results(threads);
  std::latch start{threads};
  std::vector<std::thread> workers;
  const auto port = order_port();
  for (int w = 0; w < threads; ++w) {
    workers.emplace_back([&, w] {
      http_client client{port, 30s};  // each thread its own connection
      start.arrive_and_wait();
      for (int i = 0; i < per_thread; ++i) {
        outcome o;
        try {
          const auto r = client.request(
            "POST", "/api/v1/orders",
            order_text(uid, "Crowd " + t + " w" + std::to_string(w) + " i" + std::to_string(i),
                       i + 1, "2.50"),
            {{"Content-Type", "application/json"}});
          o.status = r.status;
          o.body = r.body;
          if (r.status == 201) {
            const auto d = r.json().at("data");
            o.id = d.value("id", 0LL);
            o.validated = d.value("user_validated", false);
          }
        } catch (const std::exception& e) {
          o.error = e.what();
        }
        results[w].push_back(std::move(o));
      }
    });
  }
  for (auto& th : workers)
    th.join();

  std::set<long long> ids;
  int created = 0, validated = 0;
  for (int w = 0; w < threads; ++w)
    for (const auto& o : results[w]) {
      EXPECT_TRUE(o.error.empty()) << "thread " << w << ": transport error " << o.error;
      EXPECT_EQ(o.status, 201u) << "thread " << w << ": " << o.body;
      if (o.status == 201) {
        ++created;
        validated += o.validated ? 1 : 0;
        EXPECT_TRUE(ids.insert(o.id).second) << "id " << o.id << " answered twice";
      }
    }
  EXPECT_EQ(created, threads * per_thread);
  std::cerr << "e2e: " << created << " concurrent creates, " << validated
            << " with user_validated true\n";

  // Nothing lost, nothing extra: the list holds exactly the 201s.
  std::set<long long> listed;
  long long total = -1;
  for (int page = 1; page <= 2; ++page) {
    const auto r = orders().get("/api/v1/orders?page_size=100&page=" + std::to_string(page) +
                                "&search=" + t);
    ASSERT_EQ(r.status, 200u) << describe(r);
    const auto j = r.json();
    total = j["meta"].value("total", -1LL);
    for (const auto& o : j["data"])
      listed.insert(o.value("id", 0LL));
  }
  EXPECT_EQ(total, created) << "list total equals the number of 201s";
  EXPECT_EQ(listed, ids) << "the listed orders are exactly the created ones";
}

TEST_F(OrdersConcurrency, ConcurrentIdempotentRetriesCreateExactlyOneOrder) {
  const auto uid = create_user("retry");
  ASSERT_GT(uid, 0);
  const auto t = tag();
  constexpr int threads = 8;
  constexpr int rounds = 3;
  const auto port = order_port();
  for (int round = 0; round < rounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    const auto key = "retry-" + t + "-" + std::to_string(round);
    const auto body = order_text(uid, "Retry " + t + " r" + std::to_string(round), 3, "0.1");
    std::vector<outcome> results(threads);
    std::latch start{threads};
    std::vector<std::thread> workers;
    for (int w = 0; w < threads; ++w) {
      workers.emplace_back([&, w] {
        outcome o;
        try {
          http_client client{port, 30s};
          client.get("/health/live");  // connected before the start line
          start.arrive_and_wait();
          const auto r = client.request(
            "POST", "/api/v1/orders", body,
            {{"Content-Type", "application/json"}, {"Idempotency-Key", key}});
          o.status = r.status;
          o.body = r.body;
          if (r.status == 201)
            o.id = r.json().at("data").value("id", 0LL);
        } catch (const std::exception& e) {
          o.error = e.what();
        }
        results[w] = std::move(o);
      });
    }
    for (auto& th : workers)
      th.join();

    std::set<long long> ids;
    for (int w = 0; w < threads; ++w) {
      EXPECT_TRUE(results[w].error.empty()) << "thread " << w << ": " << results[w].error;
      EXPECT_EQ(results[w].status, 201u)
        << "thread " << w << ": every retry gets the first response: " << results[w].body;
      if (results[w].status == 201)
        ids.insert(results[w].id);
    }
    EXPECT_EQ(ids.size(), 1u) << "all retries answer the same order";
    const auto r = orders().get("/api/v1/orders?search=" +
                                url_encode("Retry " + t + " r" + std::to_string(round)));
    ASSERT_EQ(r.status, 200u) << describe(r);
    EXPECT_EQ(r.json()["meta"].value("total", -1), 1)
      << "exactly one order for the key: " << r.body;
  }
  const auto all = orders().get("/api/v1/orders?search=" + url_encode("Retry " + t));
  ASSERT_EQ(all.status, 200u);
  EXPECT_EQ(all.json()["meta"].value("total", -1), rounds) << all.body;
}

}  // namespace
}  // namespace e2e
