// persistence/pg_pipeline behind a real PgBouncer in transaction mode with one
// server connection for all its clients: whatever of one client's statements
// reaches PgBouncer ahead of its sync can be left on that server connection when
// PgBouncer hands it to the next client, whose answers then go astray. Driven by
// a poll() loop in the test, as the pool drives its connections: statements
// submitted between events, one flush per round.
#include <poll.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "persistence/pg_pipeline.hpp"
#include "support/local_pgbouncer.hpp"
#include "support/pg_env.hpp"

using namespace svc;
using namespace std::chrono_literals;

namespace {

// One client of PgBouncer keeping `chains` statements in flight: each answer
// is checked and the next statement of its chain goes out in the next round.
// Two in three are quick reads (batched under one sync), the third has a sync
// of its own and runs a little longer, so that syncs overlap.
struct client {
  client(const statement_catalog& catalog, int id) : conn{catalog, 5000ms}, id{id} {}

  pg_pipeline conn;
  int id;
  int sent = 0;
  int answered = 0;
  std::vector<std::string> wrong;  // what came back where another answer was due
  int due = 0;                     // statements to submit in the next round

  void submit_due() {
    for (; due > 0; --due) {
      const auto marker = "client " + std::to_string(id) + ", statement " + std::to_string(sent);
      const bool quick = sent % 3 != 0;
      db_statement st{{},
                      quick ? "SELECT $1::text" : "SELECT $1::text FROM pg_sleep(0.0005)",
                      {sql_param(marker)}};
      ++sent;
      conn.submit(quick ? quick_read(std::move(st)) : st, [this, marker](pg_outcome o) {
        // An answer takes its requester a moment, as the pool's do (a message to
        // an actor): PgBouncer meanwhile goes on with what it has.
        std::this_thread::sleep_for(200us);
        ++answered;
        ++due;
        if (!o.ok)
          wrong.push_back(marker + ": failed: " + o.message);
        else if (o.rows.size() != 1 || o.rows.at(0)[0].as<std::string>() != marker)
          wrong.push_back(marker + ": got " +
                          (o.rows.size() == 1 ? o.rows.at(0)[0].as<std::string>()
                                              : std::to_string(o.rows.size()) + " rows"));
      });
    }
  }
};

}  // namespace

TEST(PgPipelineBehindPgBouncer, ClientsSharingOneServerConnectionEachGetTheirOwnAnswers) {
  svc_test::local_pgbouncer bouncer{1, "pipeline"};
  const std::string db = "pg_pipeline_pgbouncer_test";
  svc_test::fresh_database(db);
  const statement_catalog catalog{{}, statement_mode::unnamed};
  constexpr int clients = 3;
  constexpr int chains = 8;
  constexpr int per_client = 1000;

  std::vector<std::unique_ptr<client>> all;
  for (int i = 0; i < clients; ++i) {
    all.push_back(std::make_unique<client>(catalog, i));
    all.back()->conn.connect(bouncer.url(db));
    all.back()->due = chains;
  }
  auto finished = [&] {
    for (const auto& c : all)
      if (c->answered < per_client || c->conn.current() == pg_pipeline::state::broken)
        return c->conn.current() == pg_pipeline::state::broken;
    return true;
  };
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (!finished() && std::chrono::steady_clock::now() < deadline) {
    for (auto& c : all)
      if (c->conn.current() == pg_pipeline::state::ready && c->sent < per_client) {
        c->due = std::min(c->due, per_client - c->sent);
        c->submit_due();
        c->conn.flush();
      }
    std::vector<pollfd> fds;
    for (auto& c : all)
      fds.push_back({c->conn.socket(),
                     static_cast<short>((c->conn.wants_read() ? POLLIN : 0) |
                                        (c->conn.wants_write() ? POLLOUT : 0)),
                     0});
    ::poll(fds.data(), fds.size(), 50);
    for (auto& c : all)
      c->conn.advance();
  }

  for (const auto& c : all) {
    SCOPED_TRACE("client " + std::to_string(c->id));
    EXPECT_NE(c->conn.current(), pg_pipeline::state::broken) << c->conn.last_error();
    EXPECT_EQ(c->answered, per_client);
    EXPECT_TRUE(c->wrong.empty()) << c->wrong.size()
                                  << " wrong answers, the first: " << c->wrong.front();
  }
  // It went through the pooler, all on its one server connection.
  const auto view = bouncer.pool(db);
  EXPECT_EQ(view.clients, clients);
  EXPECT_EQ(view.servers, 1);
}
