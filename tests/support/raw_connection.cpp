#include "support/raw_connection.hpp"

#include <algorithm>
#include <array>
#include <cctype>

#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>

namespace svc_test {

namespace beast = boost::beast;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

using response_parser = bhttp::response_parser<bhttp::string_body>;

void prepare(response_parser& parser, bool head) {
  parser.eager(true);
  parser.body_limit(64 * 1024 * 1024);
  if (head)
    parser.skip(true);
}

// Feeds data[pos..] to the parser, advancing pos by what it took; an error when
// the bytes are no HTTP response (an incomplete one is no error).
beast::error_code feed(response_parser& parser, std::string_view data, std::size_t& pos) {
  beast::error_code ec;
  while (pos < data.size() && !parser.is_done()) {
    const auto n = parser.put(net::buffer(data.data() + pos, data.size() - pos), ec);
    pos += n;  // also with need_more: the parser may have taken a part (a header, some body)
    if (ec == bhttp::error::need_more)
      return {};
    if (ec)
      return ec;
    if (n == 0)
      break;
  }
  return {};
}

// Nothing follows what the parser has: a response framed by the close is complete
// then; anything else begun and unfinished is an error.
beast::error_code finish_at_eof(response_parser& parser) {
  beast::error_code ec;
  if (!parser.is_done() && parser.got_some())
    parser.put_eof(ec);
  return ec;
}

std::string lower(std::string_view s) {
  std::string out{s};
  for (auto& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

raw_connection::raw_connection(std::uint16_t port, std::chrono::milliseconds timeout) {
  boost::system::error_code ec;
  bool done = false;
  socket_.async_connect({net::ip::make_address("127.0.0.1"), port},
                        [&](boost::system::error_code e) {
                          ec = e;
                          done = true;
                        });
  if (!run_until(clock_type::now() + timeout, done))
    ec = net::error::timed_out;
  if (ec) {
    boost::system::error_code ignored;
    socket_.close(ignored);
    throw boost::system::system_error{ec, "connect to 127.0.0.1:" + std::to_string(port)};
  }
  boost::system::error_code ignored;
  socket_.set_option(tcp::no_delay{true}, ignored);  // slow clients: one byte, one segment
}

raw_connection::~raw_connection() {
  boost::system::error_code ignored;
  socket_.close(ignored);
}

bool raw_connection::run_until(clock_type::time_point deadline, const bool& done) {
  ioc_.restart();
  ioc_.run_until(deadline);
  if (!done)
    ioc_.poll();  // a deadline already passed still gets one look
  if (done)
    return true;
  boost::system::error_code ignored;
  socket_.cancel(ignored);
  ioc_.run();  // the cancelled operation's handler
  return false;
}

bool raw_connection::send(std::string_view bytes, std::chrono::milliseconds timeout) {
  boost::system::error_code ec;
  bool done = false;
  net::async_write(socket_, net::buffer(bytes.data(), bytes.size()),
                   [&](boost::system::error_code e, std::size_t) {
                     ec = e;
                     done = true;
                   });
  return run_until(clock_type::now() + timeout, done) && !ec;
}

boost::system::error_code raw_connection::send_request(beast_request req,
                                                       std::chrono::milliseconds timeout) {
  req.prepare_payload();
  boost::system::error_code ec;
  bool done = false;
  bhttp::async_write(socket_, req, [&](boost::system::error_code e, std::size_t) {
    ec = e;
    done = true;
  });
  if (!run_until(clock_type::now() + timeout, done))
    return beast::error::timeout;
  return ec;
}

bool raw_connection::read_some(clock_type::time_point deadline) {
  std::array<char, 8192> chunk{};
  boost::system::error_code ec;
  std::size_t n = 0;
  bool done = false;
  socket_.async_read_some(net::buffer(chunk), [&](boost::system::error_code e, std::size_t got) {
    ec = e;
    n = got;
    done = true;
  });
  const bool in_time = run_until(deadline, done);
  received_.append(chunk.data(), n);
  if (ec && ec != net::error::operation_aborted)
    closed_ = true;  // EOF, or a reset
  return in_time;
}

boost::system::error_code raw_connection::read(beast_response& res,
                                               std::chrono::milliseconds timeout, bool head) {
  const auto deadline = clock_type::now() + timeout;
  response_parser parser;
  prepare(parser, head);
  std::size_t pos = consumed_;
  for (;;) {
    if (auto ec = feed(parser, received_, pos))
      return ec;
    if (!parser.is_done() && closed_) {
      if (!parser.got_some())
        return bhttp::error::end_of_stream;
      if (auto ec = finish_at_eof(parser))
        return ec;
    }
    if (parser.is_done()) {
      consumed_ = pos;
      res = parser.release();
      return {};
    }
    if (clock_type::now() >= deadline)
      return beast::error::timeout;
    read_some(deadline);
  }
}

std::optional<reply> raw_connection::read_response(std::chrono::milliseconds timeout) {
  beast_response res;
  if (read(res, timeout))
    return std::nullopt;
  return to_reply(res);
}

beast_response raw_connection::round_trip(beast_request req) {
  if (auto ec = send_request(std::move(req)))
    throw boost::system::system_error{ec};
  beast_response res;
  if (auto ec = read(res))
    throw boost::system::system_error{ec};
  return res;
}

bool raw_connection::wait_closed(std::chrono::milliseconds timeout) {
  if (closed_)
    return true;
  const auto deadline = clock_type::now() + timeout;
  do {
    read_some(deadline);
  } while (!closed_ && clock_type::now() < deadline);
  return closed_;
}

void raw_connection::forget_consumed() {
  received_.erase(0, consumed_);
  consumed_ = 0;
}

beast_request make_request(bhttp::verb method, std::string target, std::string body) {
  beast_request req{method, target, 11};
  req.set(bhttp::field::host, "localhost");
  req.body() = std::move(body);
  return req;
}

reply to_reply(const beast_response& res) {
  reply r;
  r.status = res.result_int();
  for (const auto& field : res) {
    auto [it, inserted] = r.headers.emplace(lower(field.name_string()), std::string{field.value()});
    if (!inserted)
      it->second += ", " + std::string{field.value()};
  }
  r.body = res.body();
  return r;
}

std::optional<reply> parse_response(std::string_view data, bool at_eof, std::size_t* used) {
  response_parser parser;
  prepare(parser, false);
  std::size_t pos = 0;
  if (feed(parser, data, pos))
    return std::nullopt;
  if (at_eof && finish_at_eof(parser))
    return std::nullopt;
  if (!parser.is_done())
    return std::nullopt;
  if (used)
    *used = pos;
  return to_reply(parser.get());
}

std::vector<reply> parse_responses(std::string_view data) {
  std::vector<reply> out;
  while (!data.empty()) {
    std::size_t used = 0;
    auto r = parse_response(data, true, &used);
    if (!r || used == 0)
      break;
    out.push_back(std::move(*r));
    data.remove_prefix(used);
  }
  return out;
}

raw_result raw_exchange(std::uint16_t port, std::string_view bytes,
                        std::chrono::milliseconds timeout) {
  using clock_type = std::chrono::steady_clock;
  const auto deadline = clock_type::now() + timeout;  // one deadline for the whole exchange
  auto left = [&] {
    return std::max(
      std::chrono::milliseconds{0},
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_type::now()));
  };
  std::optional<raw_connection> conn;
  try {
    conn.emplace(port, timeout);
  } catch (const boost::system::system_error& e) {
    throw std::runtime_error("raw connect to 127.0.0.1:" + std::to_string(port) + ": " +
                             e.code().message());
  }
  // A write error (the server closed early) is no failure of its own: read what it said.
  (void)conn->send(bytes, left());
  raw_result out;
  beast_response res;
  const auto ec = conn->read(res, left());
  if (!ec)
    out.response = to_reply(res);
  out.received = conn->received();
  out.closed = conn->closed();
  out.timed_out = ec == beast::error::timeout;
  return out;
}

}  // namespace svc_test
