// Clients that hold connections without finishing requests, against the real
// user-service (HTTP_HEADER_TIMEOUT 1 s, HTTP_IDLE_TIMEOUT 2 s, MAX_CONNECTIONS 32):
// slow-loris headers are cut off after the header timeout, idle keep-alive
// connections after the idle timeout, and a crowd of idle connections never
// holds more than MAX_CONNECTIONS sockets in the service.
#include <memory>
#include <thread>

#include "reliability/reliability_fixture.hpp"

namespace reliability {
namespace {

using clock_type = std::chrono::steady_clock;

class HostileConnections : public hostile_suite {};

// Anything a cut-off connection received after `skip` bytes (answers to earlier,
// complete requests) must be a 4xx, never a 5xx.
::testing::AssertionResult nothing_or_4xx(const raw_connection& c, std::size_t skip) {
  const auto tail = c.received().substr(skip);
  if (tail.empty())
    return ::testing::AssertionSuccess();
  const auto replies = parse_responses(tail);
  if (replies.empty())
    return ::testing::AssertionFailure() << "bytes that are no HTTP response: " << tail;
  for (const auto& r : replies)
    if (r.status < 400 || r.status > 499)
      return ::testing::AssertionFailure() << "not a 4xx: " << e2e::describe(r);
  return ::testing::AssertionSuccess();
}

struct held {
  std::string kind;
  std::unique_ptr<raw_connection> conn;
  bool trickle = false;  // sends one more header byte every round
  clock_type::time_point opened;
  long long closed_after_ms = -1;
  std::size_t skip = 0;  // bytes of earlier, complete answers
};

TEST_F(HostileConnections, SlowAndIdleClientsAreCutOffWhileOthersAreServed) {
  std::vector<held> conns;
  conns.reserve(20);  // open() hands out references into it
  auto open = [&](const std::string& kind, bool trickle) -> held& {
    conns.push_back({kind, std::make_unique<raw_connection>(port()), trickle, clock_type::now()});
    return conns.back();
  };
  open("silent new connection", false);
  for (int i = 0; i < 12; ++i)
    open("slow-loris headers", true).conn->send("GET /api/v1/users HTTP/1.1\r\nHost: x\r\n");
  // The second request of a keep-alive connection trickles: cut off from its first byte.
  auto& second = open("slow-loris second request", true);
  second.conn->send("GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n");
  const auto first = second.conn->read_response(std::chrono::seconds{5});
  ASSERT_TRUE(first.has_value() && first->status == 200) << second.conn->received();
  second.skip = second.conn->received().size();
  second.conn->send("GET /api/v1/users HTTP/1.1\r\n");
  second.opened = clock_type::now();
  auto& keep_alive = open("idle keep-alive connection", false);
  keep_alive.conn->send("GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(keep_alive.conn->read_response(std::chrono::seconds{5}).has_value());
  keep_alive.skip = keep_alive.conn->received().size();
  keep_alive.opened = clock_type::now();

  // Every 100 ms each trickling client sends one more byte of an endless header.
  const auto start = clock_type::now();
  const auto bound = std::chrono::seconds{idle_timeout_seconds + 5};
  int served_meanwhile = 0, rounds = 0;
  std::size_t open_left = conns.size();
  while (open_left > 0 && clock_type::now() - start < bound) {
    ++rounds;
    for (auto& h : conns) {
      if (h.closed_after_ms >= 0)
        continue;
      if (h.trickle)
        h.conn->send("X");
      if (h.conn->wait_closed(
            std::chrono::milliseconds{100 / static_cast<int>(conns.size()) + 1})) {
        h.closed_after_ms = ms_since(h.opened);
        --open_left;
      }
    }
    if (rounds % 5 == 0 && open_left > 0) {
      EXPECT_TRUE(still_serving()) << "round " << rounds;
      ++served_meanwhile;
    }
  }
  for (const auto& h : conns) {
    SCOPED_TRACE(h.kind);
    EXPECT_GE(h.closed_after_ms, 0) << "still open after " << bound.count() << " s";
    EXPECT_TRUE(nothing_or_4xx(*h.conn, h.skip));
  }
  long long slowest_header = 0, keep_alive_close = keep_alive.closed_after_ms;
  for (const auto& h : conns)
    if (&h != &keep_alive)
      slowest_header = std::max(slowest_header, h.closed_after_ms);
  // The header timeout cuts slow clients well before the (longer) idle timeout would.
  EXPECT_LT(slowest_header, idle_timeout_seconds * 1000 + 500)
    << "slow headers not cut by the header timeout";
  EXPECT_GT(served_meanwhile, 0);
  std::cerr << "reliability: " << conns.size() - 1 << " slow/silent clients cut off after at most "
            << slowest_header << " ms (HTTP_HEADER_TIMEOUT " << header_timeout_seconds
            << " s); idle keep-alive closed after " << keep_alive_close << " ms (HTTP_IDLE_TIMEOUT "
            << idle_timeout_seconds << " s); " << served_meanwhile
            << " normal requests served meanwhile\n";
  EXPECT_TRUE(still_serving());
}

TEST_F(HostileConnections, HeadersSentSlowlyButInTimeAreServed) {
  raw_connection c{port()};
  for (const char* part :
       {"GET /api/v1/users?page_size=1 HT", "TP/1.1\r\nHost: x\r\n", "Accept: */*\r\n\r\n"}) {
    ASSERT_TRUE(c.send(part));
    EXPECT_FALSE(c.wait_closed(std::chrono::milliseconds{150}));
  }
  const auto r = c.read_response(std::chrono::seconds{5});
  ASSERT_TRUE(r.has_value()) << c.received();
  EXPECT_EQ(r->status, 200u) << e2e::describe(*r);
}

TEST_F(HostileConnections, IdleConnectionsAreBoundedByMaxConnections) {
  ASSERT_TRUE(still_serving());
  const int pid = service().pid();
  const int baseline = open_descriptors(pid);
  ASSERT_GT(baseline, 0);
  // Descriptors the service may open meanwhile on its own (pool connections).
  constexpr int slack = 12;

  std::vector<std::unique_ptr<raw_connection>> conns;
  const std::size_t under_limit = max_connections - 8;
  for (std::size_t i = 0; i < under_limit; ++i)
    conns.push_back(std::make_unique<raw_connection>(port()));
  EXPECT_TRUE(still_serving()) << "below MAX_CONNECTIONS others are served";

  constexpr std::size_t crowd = 200;
  const auto start = clock_type::now();
  for (std::size_t i = 0; i < crowd; ++i)
    conns.push_back(std::make_unique<raw_connection>(port()));
  const int during = open_descriptors(pid);
  // The ones over the limit are closed at once, without waiting for a timeout.
  const std::size_t must_close = conns.size() - max_connections;
  std::size_t closed = 0;
  long long over_limit_closed_ms = -1;
  while (clock_type::now() - start < std::chrono::seconds{5}) {
    closed = 0;
    for (auto& c : conns)
      closed += c->wait_closed(std::chrono::milliseconds{0}) ? 1 : 0;
    if (closed >= must_close) {
      over_limit_closed_ms = ms_since(start);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds{20});
  }
  const int after_crowd = open_descriptors(pid);
  EXPECT_GE(closed, must_close) << "connections over MAX_CONNECTIONS must be closed";
  EXPECT_LE(during, baseline + static_cast<int>(max_connections) + slack)
    << "the service holds more sockets than MAX_CONNECTIONS allows";
  EXPECT_LE(after_crowd, baseline + static_cast<int>(max_connections) + slack);

  // The held ones go at the header timeout; then everyone is served again.
  std::size_t still_open = 0;
  for (auto& c : conns)
    still_open += c->wait_closed(std::chrono::seconds{header_timeout_seconds + 4}) ? 0 : 1;
  const auto all_closed_ms = ms_since(start);
  EXPECT_EQ(still_open, 0u) << "idle connections outlived the header timeout";
  EXPECT_TRUE(still_serving());
  const int end = open_descriptors(pid);
  EXPECT_LE(end, baseline + slack) << "descriptors leaked";
  std::cerr << "reliability: " << conns.size() << " idle connections against MAX_CONNECTIONS "
            << max_connections << ": service descriptors " << baseline << " before, " << during
            << " / " << after_crowd << " during, " << end << " after; " << must_close
            << " over the limit closed within " << over_limit_closed_ms << " ms; all closed after "
            << all_closed_ms << " ms\n";
}

}  // namespace
}  // namespace reliability
