// A real HTTP server on loopback standing in for user-service, whose behaviour a
// test switches at run time: answer normally, fail with 500, take requests and
// never answer them (a hung neighbour), or go away entirely.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "http/envelope.hpp"
#include "http/server.hpp"

namespace svc_test {

class fake_user_service {
public:
  enum class mode { answer, fail, hang };

  fake_user_service() { start(); }

  // Users that exist; everything else is a 404.
  std::set<long> users{1, 2, 3};
  std::atomic<mode> behaviour{mode::answer};
  std::atomic<int> calls{0};
  std::string last_request_id() {
    std::lock_guard<std::mutex> guard{mutex_};
    return last_request_id_;
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  void stop() {
    server_.reset();
    std::lock_guard<std::mutex> guard{mutex_};
    unanswered_.clear();
  }

  ~fake_user_service() { stop(); }

  void start() {
    svc::http::server_options opts;
    opts.host = "127.0.0.1";
    opts.port = port_;  // 0 the first time; the same port when restarted
    server_ = std::make_unique<svc::http::server>(opts, [this](svc::http::request&& req, svc::http::responder respond) {
      ++calls;
      if (auto* rid = req.find_header("X-Request-ID")) {
        std::lock_guard<std::mutex> guard{mutex_};
        last_request_id_ = *rid;
      }
      if (behaviour == mode::hang) {  // keep the responder: the exchange stays open
        std::lock_guard<std::mutex> guard{mutex_};
        unanswered_.push_back(std::move(respond));
        return;
      }
      if (behaviour == mode::fail) {
        respond(svc::http::error_response(svc::http::error_code::internal_error, "down", "x"));
        return;
      }
      auto id = std::stol(req.target.substr(req.target.rfind('/') + 1));
      if (users.count(id))
        respond(svc::http::ok_response(nlohmann::json{{"id", id}}));
      else
        respond(svc::http::error_response(svc::http::error_code::not_found, "user not found", "x"));
    });
    server_->start();
    port_ = server_->port();
  }

private:
  std::mutex mutex_;
  std::string last_request_id_;
  std::vector<svc::http::responder> unanswered_;
  std::uint16_t port_ = 0;
  std::unique_ptr<svc::http::server> server_;
};

}  // namespace svc_test
