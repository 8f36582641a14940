#include <gtest/gtest.h>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <nlohmann/json.hpp>

#include "actors/limiter_actor.hpp"
#include "actors/resource_actor.hpp"
#include "http/envelope.hpp"

using namespace svc;
using namespace std::chrono_literals;

namespace {

// A resource actor whose handler throws on one route, built the way the real ones are.
resource_actor::behavior_type flaky_resource(resource_actor::pointer, std::string /*name*/) {
  return {
    [](handle_atom, api_request& req) {
      return guarded(req, [&]() -> caf::result<http::response> {
        if (req.route == "/boom")
          throw std::runtime_error("handler bug");
        return http::ok_response(nlohmann::json{{"route", req.route}});
      });
    },
  };
}

http::response ask(caf::actor_system& sys, const resource_actor& actor, std::string route) {
  api_request req;
  req.method = "GET";
  req.route = std::move(route);
  req.request_id = "rid";
  caf::scoped_actor self{sys};
  http::response out;
  out.status = 0;
  self->request(actor, 5s, handle_atom::value, std::move(req))
    .receive([&](http::response& r) { out = std::move(r); },
             [&](caf::error& e) { ADD_FAILURE() << caf::to_string(e); });
  return out;
}

}  // namespace

TEST(Recovery, AThrowingHandlerAnswers500AndTheActorLivesOn) {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  auto actor = sys.spawn(flaky_resource, std::string{"flaky"});
  auto failed = ask(sys, actor, "/boom");
  EXPECT_EQ(failed.status, 500u);
  auto body = nlohmann::json::parse(failed.body);
  EXPECT_EQ(body["error"]["code"], "INTERNAL_ERROR");
  EXPECT_EQ(body["error"]["message"], "internal error");  // never the exception text
  EXPECT_EQ(ask(sys, actor, "/fine").status, 200u);
  caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
}

TEST(LimiterActor, LimitsEachClientOnItsOwn) {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  auto metrics = std::make_shared<service_metrics>("user-service");
  auto limiter = spawn_limiter(sys, {{1, 3}, 1000, metrics});
  caf::scoped_actor self{sys};
  auto check = [&](std::string ip) {
    rate_decision d;
    self->request(limiter, 5s, rate_check_atom::value, std::move(ip))
      .receive([&](rate_decision& r) { d = r; },
               [&](caf::error& e) { ADD_FAILURE() << caf::to_string(e); });
    return d;
  };
  for (int i = 0; i < 3; ++i)
    EXPECT_TRUE(check("10.0.0.1").allowed);
  auto refused = check("10.0.0.1");
  EXPECT_FALSE(refused.allowed);
  EXPECT_GE(refused.retry_after, 1s);
  EXPECT_TRUE(check("10.0.0.2").allowed);  // another client is not affected
  EXPECT_NE(metrics->render().find("rate_limit_rejected_total{service=\"user-service\"} 1"),
            std::string::npos);
  caf::anon_send_exit(limiter, caf::exit_reason::user_shutdown);
}
