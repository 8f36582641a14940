// The HTTP front's long-lived front actors, driven through the request handler
// the server calls: concurrent API calls from several threads each get their own
// answer with the middleware headers, the limiter's 429 comes through, and the
// health checks ask a real database through the pool.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <set>
#include <thread>

#include <unistd.h>

#include <caf/send.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <nlohmann/json.hpp>

#include "actor_test_support.hpp"
#include "actors/http_front_actor.hpp"
#include "security/jwt_verifier.hpp"
#include "token_factory.hpp"

using namespace svc;
using namespace std::chrono_literals;

namespace {

// Answers with the {id} path parameter and the request id it was given, so a
// test can tell that each answer went back to the request that caused it.
// (Spawned with an argument: CAF 0.17's argument-less spawn trips UBSan.)
resource_actor::behavior_type echo_resource(resource_actor::pointer, std::string name) {
  return {
    [name](handle_atom, api_request& req) -> caf::result<http::response> {
      http::response resp;
      const auto scope = req.log_scope();
      resp.body = nlohmann::json{{"id", *req.path_param("id")},
                                 {"request_id", req.request_id},
                                 {"resource", name},
                                 {"scope",
                                  {{"request_id", scope.request_id()},
                                   {"trace_id", scope.trace_id()},
                                   {"span_id", scope.span_id()},
                                   {"sub", scope.subject()}}}}
                    .dump();
      return resp;
    },
  };
}

// Collects the answers of many requests, whichever thread delivers them.
class answers {
public:
  http::responder responder_for(std::string key) {
    return [this, key = std::move(key)](http::response resp) {
      std::lock_guard guard{mutex_};
      received_.emplace_back(key, std::move(resp));
      done_.notify_all();
    };
  }

  std::vector<std::pair<std::string, http::response>> wait_for(std::size_t count) {
    std::unique_lock guard{mutex_};
    done_.wait_for(guard, 10s, [&] { return received_.size() >= count; });
    return received_;
  }

private:
  std::mutex mutex_;
  std::condition_variable done_;
  std::vector<std::pair<std::string, http::response>> received_;
};

http::request get(std::string target, std::string request_id, std::string ip = "10.0.0.1") {
  http::request req;
  req.method = "GET";
  req.target = std::move(target);
  req.headers.push_back({"X-Request-ID", std::move(request_id)});
  req.remote_ip = std::move(ip);
  return req;
}

class FrontActors : public ::testing::Test {
protected:
  // A front with one echo resource at /api/v1/things/{id}, the given limiter
  // settings and a pool to `database_url`.
  void start(rate_limit_settings limits, const std::string& database_url, std::size_t fronts = 2,
             std::string service_name = "front-test") {
    ctx_ = std::make_shared<front_context>();
    ctx_->service_name = std::move(service_name);
    ctx_->cors_allowed_origins = {"*"};
    ctx_->limiter = spawn_limiter(sys_, {limits, 1000, nullptr});
    ctx_->rate_limit = static_cast<long>(limits.burst);
    auto things = sys_.spawn(echo_resource, std::string{"things"});
    ctx_->resources.push_back(things);
    ctx_->routes.push_back({things, collection_operation::get});
    ctx_->router.add("GET", "/api/v1/things/{id}", 0);
    auto pool = svc_test::pool_config(database_url, {}, 1, 2);
    pool.acquire_timeout = 200ms;
    ctx_->pool = spawn_db_pool(sys_, pool);
    ctx_->fronts = spawn_front_actors(sys_, fronts);
    handler_ = make_front_handler(ctx_);
  }

  void TearDown() override {
    if (!ctx_)
      return;
    stop_context_actors(*ctx_);
    handler_ = nullptr;
    ctx_.reset();
  }

  caf::actor_system_config cfg_;
  caf::actor_system sys_{cfg_};
  std::shared_ptr<front_context> ctx_;
  http::request_handler handler_;
};

TEST_F(FrontActors, concurrent_calls_from_several_threads_each_get_their_own_answer) {
  start({1e9, 1e9}, svc_test::database_url("postgres"));
  constexpr int threads = 4;
  constexpr int per_thread = 250;
  answers got;
  std::vector<std::thread> callers;
  for (int t = 0; t < threads; ++t)
    callers.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        auto key = std::to_string(t) + "-" + std::to_string(i);
        handler_(get("/api/v1/things/" + key, "rid-" + key), got.responder_for(key));
      }
    });
  for (auto& c : callers)
    c.join();
  auto received = got.wait_for(threads * per_thread);
  ASSERT_EQ(received.size(), std::size_t{threads * per_thread});
  std::set<std::string> keys;
  for (auto& [key, resp] : received) {
    ASSERT_EQ(resp.status, 200u) << resp.body;
    auto body = nlohmann::json::parse(resp.body);
    EXPECT_EQ(body["id"], key);
    EXPECT_EQ(body["request_id"], "rid-" + key);
    EXPECT_EQ(body["resource"], "things");
    ASSERT_NE(resp.find_header("X-Request-ID"), nullptr);
    EXPECT_EQ(*resp.find_header("X-Request-ID"), "rid-" + key);
    EXPECT_NE(resp.find_header("X-RateLimit-Remaining"), nullptr);
    EXPECT_NE(resp.find_header("Access-Control-Allow-Origin"), nullptr);
    keys.insert(key);
  }
  EXPECT_EQ(keys.size(), std::size_t{threads * per_thread});
}

TEST_F(FrontActors, a_client_over_its_limit_gets_429_with_retry_after_and_others_do_not) {
  start({0.01, 2}, svc_test::database_url("postgres"));
  answers got;
  for (int i = 0; i < 3; ++i)
    handler_(get("/api/v1/things/" + std::to_string(i), "r" + std::to_string(i), "10.0.0.7"),
             got.responder_for("greedy-" + std::to_string(i)));
  handler_(get("/api/v1/things/x", "other", "10.0.0.8"), got.responder_for("other"));
  auto received = got.wait_for(4);
  ASSERT_EQ(received.size(), 4u);
  int limited = 0;
  for (auto& [key, resp] : received) {
    if (key == "other") {
      EXPECT_EQ(resp.status, 200u);
      continue;
    }
    if (resp.status == 429) {
      ++limited;
      EXPECT_EQ(nlohmann::json::parse(resp.body)["error"]["code"], "RATE_LIMIT_EXCEEDED");
      ASSERT_NE(resp.find_header("Retry-After"), nullptr);
      EXPECT_GE(std::stol(*resp.find_header("Retry-After")), 1);
      EXPECT_EQ(*resp.find_header("X-RateLimit-Remaining"), "0");
    } else {
      EXPECT_EQ(resp.status, 200u);
    }
  }
  EXPECT_EQ(limited, 1);
}

// TRUSTED_PROXIES: behind a trusted proxy each forwarded client has its own
// bucket; the same header from a peer that is not trusted changes nothing.
TEST_F(FrontActors, forwarded_clients_of_a_trusted_proxy_have_their_own_buckets) {
  start({0.01, 1}, svc_test::database_url("postgres"));
  ctx_->trusted_proxies = *http::parse_ip_network_list("10.0.0.0/8");
  auto forwarded = [](std::string rid, std::string peer, std::string xff) {
    auto req = get("/api/v1/things/1", std::move(rid), std::move(peer));
    req.headers.push_back({"X-Forwarded-For", std::move(xff)});
    return req;
  };
  auto status_of = [&](http::request req) {
    answers got;
    handler_(std::move(req), got.responder_for("one"));
    auto received = got.wait_for(1);
    return received.empty() ? 0u : received[0].second.status;
  };
  EXPECT_EQ(status_of(forwarded("a1", "10.0.0.1", "203.0.113.1")), 200u);
  EXPECT_EQ(status_of(forwarded("b1", "10.0.0.1", "203.0.113.2")),
            200u);  // another client, same proxy
  EXPECT_EQ(status_of(forwarded("a2", "10.0.0.2", "203.0.113.1")),
            429u);  // the first client, another proxy
  // Not trusted: the peer is the client, whatever it forwards.
  EXPECT_EQ(status_of(forwarded("c1", "192.0.2.1", "203.0.113.3")), 200u);
  EXPECT_EQ(status_of(forwarded("c2", "192.0.2.1", "203.0.113.4")), 429u);
}

// With auth on, a resource learns who called: the token's subject reaches it
// with the request's ids and trace, so that every line it and the DB pool log
// for the request (log::request_scope) names the subject as the access line does.
TEST_F(FrontActors, with_auth_on_the_resource_gets_the_callers_subject_and_trace) {
  start({1e9, 1e9}, svc_test::database_url("postgres"));
  const auto dir = std::filesystem::temp_directory_path() /
                   ("front-auth-" + std::to_string(::getpid()));
  const std::string secret = "a-front-test-secret-of-32-bytes-at-least";
  std::filesystem::create_directories(dir);
  svc::testing::write_file(dir / "secret", secret);
  security::verifier_options options;
  options.hs256_secret_file = dir / "secret";
  ctx_->auth = std::make_shared<security::jwt_verifier>(options);
  const auto token = svc::testing::sign_token(
    "HS256", secret, "",
    {{"sub", "alice"}, {"scope", "things:read"}, {"exp", svc::testing::epoch_seconds(600s)}});
  auto req = get("/api/v1/things/7", "rid-auth");
  req.headers.push_back({"Authorization", "Bearer " + token});
  req.headers.push_back({"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"});
  answers got;
  handler_(std::move(req), got.responder_for("auth"));
  auto received = got.wait_for(1);
  std::filesystem::remove_all(dir);
  ASSERT_EQ(received.size(), 1u);
  ASSERT_EQ(received[0].second.status, 200u) << received[0].second.body;
  const auto scope = nlohmann::json::parse(received[0].second.body)["scope"];
  EXPECT_EQ(scope["sub"], "alice");
  EXPECT_EQ(scope["request_id"], "rid-auth");
  EXPECT_EQ(scope["trace_id"], "4bf92f3577b34da6a3ce929d0e0e4736")
    << "the caller's trace, continued";
  EXPECT_EQ(scope["span_id"].get<std::string>().size(), 16u);
  EXPECT_NE(scope["span_id"], "00f067aa0ba902b7") << "a span of its own, child of the caller's";
}

// MANAGEMENT_PORT: the management listener serves the probes and /metrics only,
// the API listener everything else (and 404 for those).
TEST_F(FrontActors, each_listener_role_serves_its_own_paths) {
  start({1e9, 1e9}, svc_test::database_url("postgres"));
  ctx_->metrics = std::make_shared<service_metrics>("front-test");
  auto management = make_front_handler(ctx_, listener_role::management);
  auto api = make_front_handler(ctx_, listener_role::api);
  auto status_of = [&](const http::request_handler& handler, std::string target) {
    answers got;
    handler(get(target, "rid"), got.responder_for("one"));
    auto received = got.wait_for(1);
    return received.empty() ? 0u : received[0].second.status;
  };
  for (const char* path : {"/health", "/health/live", "/health/ready", "/metrics"}) {
    EXPECT_EQ(status_of(management, path), 200u) << path;
    EXPECT_EQ(status_of(handler_, path), 200u) << path;  // one listener for all
    EXPECT_EQ(status_of(api, path), 404u) << path;
  }
  for (const char* path :
       {"/api/v1/things/1", "/api/v1/nothing", "/", "/metrics/x", "/openapi.json"}) {
    EXPECT_EQ(status_of(management, path), 404u) << path;
  }
  // One trailing slash is ignored, as on the API's routes.
  EXPECT_EQ(status_of(management, "/health/"), 200u);
  EXPECT_EQ(status_of(api, "/api/v1/things/1"), 200u);
  EXPECT_EQ(status_of(handler_, "/api/v1/things/1"), 200u);
}

// The liveness body is written as text (the probe is the most frequent request):
// it is still the JSON object the contract names, the service name escaped.
TEST_F(FrontActors, liveness_answers_the_contracts_object) {
  start({1e9, 1e9}, svc_test::database_url("postgres"), 2, "quote\"and\\slash-service");
  answers got;
  handler_(get("/health/live", "rid"), got.responder_for("live"));
  auto received = got.wait_for(1);
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(received[0].second.status, 200u);
  EXPECT_EQ(nlohmann::json::parse(received[0].second.body),
            (nlohmann::json{{"status", "ok"}, {"service", "quote\"and\\slash-service"}}));
}

TEST_F(FrontActors, the_probes_and_metrics_are_routes_with_their_methods) {
  start({1e9, 1e9}, svc_test::database_url("postgres"));
  ctx_->metrics = std::make_shared<service_metrics>("front-test");
  for (const char* path : {"/health", "/health/live", "/health/ready", "/metrics"}) {
    answers got;
    auto post = get(path, "rid");
    post.method = "POST";
    handler_(std::move(post), got.responder_for("post"));
    auto head = get(path, "rid");
    head.method = "HEAD";
    handler_(std::move(head), got.responder_for("head"));
    auto received = got.wait_for(2);
    ASSERT_EQ(received.size(), 2u) << path;
    for (auto& [key, resp] : received) {
      if (key == "post") {
        EXPECT_EQ(resp.status, 405u) << path;
        ASSERT_NE(resp.find_header("Allow"), nullptr) << path;
        EXPECT_EQ(*resp.find_header("Allow"), "GET, HEAD") << path;
      } else {
        EXPECT_EQ(resp.status, 200u) << path;
      }
    }
  }
}

// A front actor serves every request dealt to it for the life of the process: an
// exception while answering one (here the responder itself throws) must not end it.
TEST_F(FrontActors, an_exception_while_answering_costs_one_request_not_the_front_actor) {
  start({1e9, 1e9}, svc_test::database_url("postgres"), 1);
  std::atomic<int> thrown{0};
  handler_(get("/api/v1/things/boom", "boom"), [&](http::response) {
    ++thrown;
    throw std::runtime_error("responder failed");
  });
  handler_(get("/health", "boom-health"), [&](http::response) {
    ++thrown;
    throw std::runtime_error("responder failed");
  });
  answers got;
  for (int i = 0; i < 20; ++i)
    handler_(get("/api/v1/things/" + std::to_string(i), "after-" + std::to_string(i)),
             got.responder_for(std::to_string(i)));
  auto received = got.wait_for(20);
  ASSERT_EQ(received.size(), 20u) << "the front actor did not survive the exception";
  for (auto& [key, resp] : received)
    EXPECT_EQ(resp.status, 200u);
  EXPECT_GE(thrown.load(), 2);
}

TEST_F(FrontActors, health_asks_the_database_through_the_pool) {
  start({1e9, 1e9}, svc_test::database_url("postgres"));
  answers got;
  handler_(get("/health", "h1"), got.responder_for("health"));
  handler_(get("/health/ready", "h2"), got.responder_for("ready"));
  auto received = got.wait_for(2);
  ASSERT_EQ(received.size(), 2u);
  for (auto& [key, resp] : received) {
    EXPECT_EQ(resp.status, 200u) << key << ": " << resp.body;
    EXPECT_EQ(nlohmann::json::parse(resp.body)["checks"]["database"], "ok");
  }
}

// Issue 17: a full pool is load, not a dead database. With both transaction
// connections of the pool held by slow statements, readiness still answers 200
// at once: it neither waits for one (the acquire timeout, 200 ms, then 503) nor
// needs one (its query goes where reads go).
TEST_F(FrontActors, readiness_does_not_queue_behind_a_saturated_pool) {
  start({1e9, 1e9}, svc_test::database_url("postgres"));
  caf::scoped_actor self{sys_};
  for (int i = 0; i < 2; ++i) {
    db_task hold{[](pqxx::connection_base& c) {
                   pqxx::nontransaction tx{c};
                   tx.exec("SELECT pg_sleep(1.5)");
                 },
                 "test.hold", ""};
    self->send(ctx_->pool, execute_atom::value, std::move(hold));
  }
  ASSERT_TRUE(svc_test::poll_until(
    [&] {
      bool saturated = false;
      self->request(ctx_->pool, 5s, pool_status_atom::value)
        .receive([&](db_pool_status& s) { saturated = s.saturated; }, [](caf::error&) {});
      return saturated;
    },
    1s, 10ms));
  answers got;
  handler_(get("/health/ready", "r1"), got.responder_for("ready"));
  auto received = got.wait_for(1);
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(received[0].second.status, 200u) << received[0].second.body;
  // /health checks with a query of its own, on the pipelined connections that
  // reads use: transactions holding every transaction connection do not stop it.
  handler_(get("/health", "h1"), got.responder_for("health"));
  received = got.wait_for(2);
  ASSERT_EQ(received.size(), 2u);
  EXPECT_EQ(received[1].second.status, 200u) << received[1].second.body;
}

TEST_F(FrontActors, health_is_503_when_the_database_cannot_be_reached) {
  start({1e9, 1e9}, "postgresql://postgres@127.0.0.1:1/none?connect_timeout=1");
  answers got;
  handler_(get("/health", "h1"), got.responder_for("health"));
  auto received = got.wait_for(1);
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(received[0].second.status, 503u) << received[0].second.body;
  EXPECT_EQ(nlohmann::json::parse(received[0].second.body)["checks"]["database"], "unavailable");
}

}  // namespace
