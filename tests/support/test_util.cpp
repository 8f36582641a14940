#include "support/test_util.hpp"

#include <atomic>
#include <mutex>
#include <random>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <pqxx/pqxx>

#include "support/pg_env.hpp"

namespace svc_test {

bool poll_until(const std::function<bool()>& done, std::chrono::milliseconds timeout,
                std::chrono::milliseconds interval) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (done())
      return true;
    if (std::chrono::steady_clock::now() >= deadline)
      return false;
    std::this_thread::sleep_for(interval);
  }
}

std::uint16_t free_port() {
  namespace net = boost::asio;
  net::io_context ioc;
  net::ip::tcp::acceptor acceptor{ioc, {net::ip::make_address("127.0.0.1"), 0}};
  const auto port = acceptor.local_endpoint().port();
  acceptor.close();
  return port;
}

std::string unique_tag(const std::string& prefix) {
  static std::atomic<unsigned> counter{0};
  static std::mt19937 rng{std::random_device{}()};
  static std::mutex mutex;
  std::lock_guard lock{mutex};
  std::string t = prefix;
  for (int i = 0; i < 6; ++i)
    t += static_cast<char>('a' + rng() % 26);
  return t + std::to_string(1000 + counter++);
}

std::string fresh_database(const std::string& name) {
  pqxx::connection admin{database_url("postgres")};
  pqxx::nontransaction work{admin};
  work.exec("DROP DATABASE IF EXISTS " + admin.quote_name(name) + " WITH (FORCE)");
  work.exec("CREATE DATABASE " + admin.quote_name(name));
  return database_url(name);
}

}  // namespace svc_test
