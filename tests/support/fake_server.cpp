#include "support/fake_server.hpp"

#include <future>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include "http/envelope.hpp"

namespace svc_test {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

struct session {
  explicit session(tcp::socket s) : socket{std::move(s)} {}
  tcp::socket socket;
  beast::flat_buffer buffer;
  fake_server::request req;
  fake_server::response res;
};

void close(session& s) {
  beast::error_code ignored;
  s.socket.shutdown(tcp::socket::shutdown_both, ignored);
  s.socket.close(ignored);
}

}  // namespace

struct fake_server::state {
  explicit state(fake_server& o) : owner{o} {}
  fake_server& owner;
  net::io_context ioc;
  // Keeps run() going even with nothing pending (a failed accept): stop() posts to it.
  net::executor_work_guard<net::io_context::executor_type> work{ioc.get_executor()};
  tcp::acceptor acceptor{ioc};
  std::vector<std::weak_ptr<session>> sessions;  // only touched on the server thread
  std::thread thread;

  // Runs `fn` on the server thread and returns once it ran.
  template <class Fn>
  void on_server_thread(Fn fn) {
    std::promise<void> done;
    net::post(ioc, [&] {
      fn();
      done.set_value();
    });
    done.get_future().wait();
  }

  void close_sessions() {
    for (auto& weak : sessions)
      if (auto s = weak.lock())
        close(*s);
    sessions.clear();
  }

  void accept() {
    acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) {
      if (ec)
        return;
      ++owner.accepted_;
      auto s = std::make_shared<session>(std::move(socket));
      sessions.push_back(s);
      read(s);
      accept();
    });
  }

  void read(std::shared_ptr<session> s) {
    s->req = {};
    bhttp::async_read(s->socket, s->buffer, s->req, [this, s](beast::error_code ec, std::size_t) {
      if (ec)
        return;
      ++owner.requests_;
      if (owner.close_on_request_) {
        close(*s);
        return;
      }
      std::optional<response> res;
      try {
        res = owner.handler_(s->req);
      } catch (const std::exception&) {
        res.emplace(bhttp::status::internal_server_error, 11);
      }
      if (!res)
        return read(s);  // hold the connection, never answer
      s->res = std::move(*res);
      s->res.version(11);
      s->res.keep_alive(s->req.keep_alive());
      s->res.prepare_payload();
      bhttp::async_write(s->socket, s->res, [this, s](beast::error_code ec, std::size_t) {
        if (!ec)
          read(s);
      });
    });
  }
};

fake_server::fake_server(handler h) : handler_{std::move(h)} {
  start();
}

fake_server::~fake_server() {
  stop();
}

void fake_server::start() {
  if (state_)
    return;
  state_ = std::make_unique<state>(*this);
  auto& acceptor = state_->acceptor;
  acceptor.open(tcp::v4());
  acceptor.set_option(net::socket_base::reuse_address{true});
  acceptor.bind(
    {net::ip::make_address("127.0.0.1"), port_});  // 0 the first time; the same port when restarted
  acceptor.listen();
  port_ = acceptor.local_endpoint().port();
  state_->accept();
  state_->thread = std::thread{[st = state_.get()] { st->ioc.run(); }};
}

void fake_server::stop() {
  if (!state_)
    return;
  state_->on_server_thread([st = state_.get()] {
    beast::error_code ignored;
    st->acceptor.close(ignored);
    st->close_sessions();
  });
  state_->ioc.stop();
  state_->thread.join();
  state_.reset();  // destroys what the handlers still held
}

void fake_server::drop_connections() {
  if (state_)
    state_->on_server_thread([st = state_.get()] { st->close_sessions(); });
}

fake_user_service::fake_user_service()
    : server_{[this](const fake_server::request& req) { return answer(req); }} {
}

std::string fake_user_service::last_request_id() {
  std::lock_guard<std::mutex> guard{mutex_};
  return last_request_id_;
}

std::optional<fake_server::response> fake_user_service::answer(const fake_server::request& req) {
  ++calls;
  if (auto rid = req.find("X-Request-ID"); rid != req.end()) {
    std::lock_guard<std::mutex> guard{mutex_};
    last_request_id_ = std::string{rid->value()};
  }
  if (behaviour == mode::hang)  // the exchange stays open
    return std::nullopt;
  svc::http::response out;
  if (behaviour == mode::fail) {
    out = svc::http::error_response(svc::http::error_code::internal_error, "down", "x");
  } else {
    const std::string target{req.target()};
    const auto id = std::stol(target.substr(target.rfind('/') + 1));
    if (users.count(id))
      out = svc::http::ok_response(nlohmann::json{{"id", id}});
    else
      out = svc::http::error_response(svc::http::error_code::not_found, "user not found", "x");
  }
  fake_server::response res{static_cast<bhttp::status>(out.status), 11};
  res.set(bhttp::field::content_type, "application/json");
  for (const auto& h : out.headers)
    res.set(h.name, h.value);
  res.body() = std::move(out.body);
  return res;
}

}  // namespace svc_test
