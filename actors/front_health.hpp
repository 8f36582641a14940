// The HTTP front's health checks: /health (the database answers) and
// /health/ready (also 503 while draining), with the state of each breaker.
// Private to the front's .cpp files.
#pragma once

#include <chrono>
#include <memory>

#include "actors/front_finisher.hpp"
#include "actors/http_front_actor.hpp"

namespace svc {

// How long a check waits for the database's answer before it counts it
// unavailable: a database that accepts connections and never answers (a host
// frozen, a stalled disk) must turn readiness 503 within a probe's timeout
// (deploy/k8s: 2 s), not after the statement timeout.
inline constexpr std::chrono::milliseconds health_database_timeout{1000};

// Answers the check through the front actor `front`.
void check_health(const front_actor& front, const std::shared_ptr<front_context>& ctx,
                  bool readiness, finisher finish);

// Runs a check in the front actor `self`: the database, then the breakers.
void run_health_check(front_actor::pointer self, std::shared_ptr<health_report> report);

}  // namespace svc
