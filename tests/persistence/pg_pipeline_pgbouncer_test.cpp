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
#include <pqxx/pqxx>

#include "persistence/pg_pipeline.hpp"
#include "support/local_pgbouncer.hpp"
#include "support/pg_env.hpp"

using namespace svc;
using namespace std::chrono_literals;

namespace {

// One client of PgBouncer keeping `chains` statements in flight: each answer
// is checked and the next statement of its chain goes out in the next round.
// A third are quick reads and a third writes (both batched under one sync); the
// rest have a sync of their own and run a little longer, so that syncs overlap.
struct client {
  client(const statement_catalog& catalog, int id) : conn{catalog, 5000ms}, id{id} {}

  pg_pipeline conn;
  int id;
  int sent = 0;
  int answered = 0;
  int written = 0;                 // writes acknowledged
  std::vector<std::string> wrong;  // what came back where another answer was due
  int due = 0;                     // statements to submit in the next round

  void submit_due() {
    for (; due > 0; --due) {
      const auto marker = "client " + std::to_string(id) + ", statement " + std::to_string(sent);
      db_statement st{{}, "SELECT $1::text FROM pg_sleep(0.0005)", {sql_param(marker)}};
      if (sent % 3 == 1)
        st = quick_read({{}, "SELECT $1::text", {sql_param(marker)}});
      else if (sent % 3 == 2)
        st = committed_together(
          {{}, "INSERT INTO written (marker) VALUES ($1) RETURNING marker", {sql_param(marker)}});
      ++sent;
      const bool write = st.batch == db_statement::batching::committed_together;
      conn.submit(st, [this, marker, write](pg_outcome o) {
        // An answer takes its requester a moment, as the pool's do (a message to
        // an actor): PgBouncer meanwhile goes on with what it has.
        std::this_thread::sleep_for(200us);
        ++answered;
        ++due;
        if (!o.ok)
          wrong.push_back(marker + ": failed: " + o.message);
        else if (o.rows.size() == 1 && o.rows.at(0)[0].as<std::string>() == marker)
          written += write ? 1 : 0;
        else
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
  {
    pqxx::connection direct{svc_test::fresh_database(db)};
    pqxx::nontransaction{direct}.exec0("CREATE TABLE written (marker text PRIMARY KEY)");
  }
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
  // Every write acknowledged is there, once.
  pqxx::connection direct{svc_test::database_url(db)};
  int written = 0;
  for (const auto& c : all)
    written += c->written;
  EXPECT_EQ(pqxx::read_transaction{direct}.exec1("SELECT count(*) FROM written")[0].as<int>(),
            written);
  EXPECT_GT(written, clients * per_client / 4);
  // It went through the pooler, all on its one server connection.
  const auto view = bouncer.pool(db);
  EXPECT_EQ(view.clients, clients);
  EXPECT_EQ(view.servers, 1);
}
