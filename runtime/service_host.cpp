#include "runtime/service_host.hpp"

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <thread>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/send.hpp>
#include <caf/settings.hpp>
#include <pqxx/pqxx>

#include "actors/http_front_actor.hpp"
#include "actors/idempotency_janitor_actor.hpp"
#include "config/secret_mask.hpp"
#include "config/settings_loader.hpp"
#include "http/client_address.hpp"
#include "http/envelope.hpp"
#include "http/io_threads.hpp"
#include "http/server.hpp"
#include "http/tls.hpp"
#include "observability/log.hpp"
#include "runtime/cpu_budget.hpp"
#include "runtime/io_scheduler.hpp"
#include "security/jwt_verifier.hpp"
#include "security/token_file.hpp"

namespace svc {
namespace {

// SIGINT/SIGTERM are blocked in every thread and taken synchronously by the main
// thread, so no handler ever runs on an I/O or scheduler thread.
sigset_t shutdown_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

// Waits up to `timeout` for a shutdown signal; true when one arrived.
bool shutdown_requested_within(std::chrono::milliseconds timeout) {
  auto set = shutdown_signals();
  timespec ts{static_cast<time_t>(timeout.count() / 1000),
              static_cast<long>((timeout.count() % 1000) * 1000000)};
  return sigtimedwait(&set, nullptr, &ts) > 0;
}

void wait_for_shutdown_signal() {
  auto set = shutdown_signals();
  int sig = 0;
  sigwait(&set, &sig);
  log::info("shutdown signal received", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
}

enum class startup { ready, failed, interrupted };

// Waits for the database (DB_CONNECT_RETRIES attempts, doubling back-off) and
// brings its schema up to date.
startup prepare_database(const settings& cfg, const service_definition& service) {
  auto backoff = std::chrono::milliseconds{250};
  for (int attempt = 1;; ++attempt) {
    try {
      pqxx::connection conn{cfg.database_url};
      auto applied = apply_migrations(conn, service.name, service.migrations);
      log::info("database schema up to date", {{"migrations_applied", std::int64_t{applied}}});
      return startup::ready;
    } catch (const pqxx::broken_connection& e) {
      if (attempt >= cfg.db_connect_retries) {
        log::error("database unreachable, giving up",
                   {{"attempts", std::int64_t{attempt}}, {"error", mask_secrets(e.what())}});
        return startup::failed;
      }
      log::warn("database unreachable, retrying", {{"attempt", std::int64_t{attempt}},
                                                   {"retry_in_ms", std::int64_t{backoff.count()}}});
    } catch (const foreign_schema& e) {
      log::error("refusing to start: the database belongs to another service",
                 {{"error", e.what()}});
      return startup::failed;
    } catch (const std::exception& e) {
      log::error("database migration failed", {{"error", mask_secrets(e.what())}});
      return startup::failed;
    }
    if (shutdown_requested_within(backoff))
      return startup::interrupted;
    backoff = std::min(backoff * 2, std::chrono::milliseconds{4000});
  }
}

http::server_options server_options_from(const settings& cfg) {
  http::server_options opts;
  opts.handler_answers_refusals = true;  // the front: CORS, rate limit headers, metrics, log
  opts.host = cfg.http_host;
  opts.port = cfg.http_port;
  opts.threads = cfg.io_threads;
  opts.max_body_bytes = cfg.max_body_bytes;
  opts.max_header_bytes = cfg.max_header_bytes;
  opts.header_timeout = cfg.http_header_timeout;
  opts.idle_timeout = cfg.http_idle_timeout;
  opts.max_connections = cfg.max_connections;
  return opts;
}

db_pool_config pool_config_from(const settings& cfg, const service_definition& service) {
  db_pool_config pool;
  pool.connection.url = cfg.database_url;
  pool.connection.max_lifetime = cfg.db_conn_max_lifetime;
  pool.connection.query_timeout = cfg.db_query_timeout;
  pool.connection.statements = std::make_shared<const statement_list>(service.statements);
  pool.connection.prepared_statements = cfg.db_prepared_statements;
  pool.min_idle = cfg.db_pool_min_idle;
  pool.max_size = cfg.db_pool_max;
  pool.acquire_timeout = cfg.db_acquire_timeout;
  return pool;
}

// What authentication and TLS need at run time, checked before the database is waited for.
struct auth_setup {
  std::shared_ptr<security::jwt_verifier> verifier;       // AUTH_MODE=jwt, else null
  std::shared_ptr<security::token_file> neighbour_token;  // USER_SERVICE_TOKEN_FILE, else null
  std::shared_ptr<http::tls_certificate> certificate;     // TLS_CERT_FILE, else null: plain HTTP
};

// The server's certificate and the CA bundle for user-service, when set: read
// now, so that a file that cannot be used stops start-up (exit 2) instead of
// failing every connection later.
std::optional<std::string> set_up_tls(const settings& cfg, auth_setup& out) {
  if (!cfg.tls_cert_file.empty()) {
    try {
      out.certificate = std::make_shared<http::tls_certificate>(
        cfg.tls_cert_file, cfg.tls_key_file, [](const std::string& problem) {
          log::error("TLS certificate not reloaded: the previous one is still served",
                     {{"problem", problem}});
        });
    } catch (const std::exception& e) {
      return std::string{
               "invalid value for --http.tls-cert-file (TLS_CERT_FILE) / --http.tls-key-file "
               "(TLS_KEY_FILE): "} +
             e.what();
    }
    log::info("HTTPS on the API port", {{"certificate", cfg.tls_cert_file}});
  }
  if (!cfg.user_service_ca_file.empty()) {
    try {
      http::tls_client_context(cfg.user_service_ca_file);
    } catch (const std::exception& e) {
      return std::string{"invalid value for --user-service.ca-file (USER_SERVICE_CA_FILE): "} +
             e.what();
    }
  }
  return std::nullopt;
}

// Builds the verifier (AUTH_MODE=jwt) and reads the token file, if any. On a
// configuration that cannot work (a keys directory that is not one, an HS256
// secret or a token file that cannot be read) the error line, for exit code 2.
// Problems with single key files later on are logged (never a key's content).
std::optional<std::string> set_up_auth(const settings& cfg, auth_setup& out) {
  auto warn = [](const std::string& problem) {
    log::warn("authentication file not used", {{"problem", problem}});
  };
  if (cfg.auth == auth_mode::jwt) {
    security::verifier_options o;
    o.public_keys_dir = cfg.auth_public_keys_dir;
    o.hs256_secret_file = cfg.auth_hs256_secret_file;
    o.issuer = cfg.auth_issuer;
    o.audience = cfg.auth_audience;
    o.clock_skew = cfg.auth_clock_skew;
    o.on_key_problem = warn;
    out.verifier = std::make_shared<security::jwt_verifier>(std::move(o));
    if (const auto& error = out.verifier->startup_error()) {
      const bool dir = error->find("keys directory") != std::string::npos;
      return std::string{"invalid value for "} +
             (dir ? "--auth.public-keys-dir (AUTH_PUBLIC_KEYS_DIR): "
                  : "--auth.hs256-secret-file (AUTH_HS256_SECRET_FILE): ") +
             *error;
    }
    log::info("authentication on: /api/ needs a bearer JWT",
              {{"public_keys_dir", cfg.auth_public_keys_dir},
               {"hs256", !cfg.auth_hs256_secret_file.empty()}});
  }
  if (!cfg.user_service_token_file.empty()) {
    out.neighbour_token = std::make_shared<security::token_file>(cfg.user_service_token_file,
                                                                 std::chrono::seconds{1}, warn);
    if (const auto& error = out.neighbour_token->startup_error())
      return "invalid value for --user-service.token-file (USER_SERVICE_TOKEN_FILE): " + *error;
  }
  return std::nullopt;
}

// RATE_LIMIT_BACKEND=redis: the buckets in Redis, keyed by service, the Redis
// connection watched by the I/O threads like the pipelined DB connections.
limiter_config limiter_config_from(const settings& cfg, const service_definition& service,
                                   const std::shared_ptr<http::io_threads>& io,
                                   std::shared_ptr<service_metrics> metrics) {
  limiter_config limiter;
  limiter.settings = {cfg.rate_limit_rps, static_cast<double>(cfg.rate_limit_burst)};
  limiter.metrics = std::move(metrics);
  if (cfg.rate_limit_backend == rate_backend::redis)
    limiter.shared = shared_limit_config{cfg.redis_url, service.name, io};
  return limiter;
}

int serve_on(const std::shared_ptr<http::io_threads>& io, const settings& cfg,
             const service_definition& service, const auth_setup& auth);

// A probe or scrape in flight when the API listener has drained gets this long.
constexpr std::chrono::milliseconds management_drain_timeout{2000};

// Starts one listener; false (logged with host, port and the reason) when it
// cannot bind, e.g. the port is in use.
bool start_listener(http::server& server, const std::string& host, std::uint16_t port,
                    std::string_view listener) {
  try {
    server.start();
  } catch (const std::exception& e) {
    log::error(
      "cannot listen",
      {{"listener", listener}, {"host", host}, {"port", std::int64_t{port}}, {"error", e.what()}});
    return false;
  }
  log::info("listening",
            {{"listener", listener}, {"host", host}, {"port", std::int64_t{server.port()}}});
  return true;
}

void log_effective_settings(const settings& cfg) {
  for (const auto& [key, value] : effective_settings(cfg))
    log::info("setting", {{"key", key}, {"value", value}});
}

// The I/O threads serve HTTP and, unless `[scheduler] policy` names one of
// CAF's own thread pools, run the actors too (runtime/io_scheduler.hpp). They
// outlive the actor system, whose shutdown still runs actors on them.
int serve(const settings& cfg, const service_definition& service, const auth_setup& auth) {
  auto io = std::make_shared<http::io_threads>(cfg.io_threads, "io");
  io->start();
  auto exit_code = serve_on(io, cfg, service, auth);
  io->stop();
  return exit_code;
}

int serve_on(const std::shared_ptr<http::io_threads>& io, const settings& cfg,
             const service_definition& service, const auth_setup& auth) {
  caf::actor_system_config caf_cfg;
  apply_to_caf_config(cfg, caf_cfg);
  if (caf::get_or(caf_cfg, "scheduler.policy", caf::atom("io")) == caf::atom("io"))
    use_io_scheduler(caf_cfg, io);
  caf::actor_system sys{caf_cfg};

  auto front = std::make_shared<front_context>();
  front->service_name = service.name;
  front->io = io;
  front->openapi = service.openapi;
  front->metrics = std::make_shared<service_metrics>(service.name);
  front->metrics->declare_error_codes(http::all_code_names());
  front->auth = auth.verifier;
  front->cors_allowed_origins = cfg.cors_allowed_origins;
  for (const auto& block : cfg.trusted_proxies)  // checked by the loader: each parses
    if (auto networks = http::parse_ip_network_list(block))
      front->trusted_proxies.insert(front->trusted_proxies.end(), networks->begin(),
                                    networks->end());
  front->rate_limit = static_cast<long>(cfg.rate_limit_burst);
  front->limiter = spawn_limiter(sys, limiter_config_from(cfg, service, io, front->metrics));
  auto pool_cfg = pool_config_from(cfg, service);
  pool_cfg.metrics = front->metrics;
  pool_cfg.io = io;
  front->pool = spawn_db_pool(sys, std::move(pool_cfg));
  service_wiring wiring{sys, cfg, front->pool, *front, auth.neighbour_token};
  // Both services store Idempotency-Keys (migration 2 of each).
  wiring.stop_at_shutdown(spawn_idempotency_janitor(sys, {front->pool, cfg.idempotency_key_ttl}));
  service.wire(wiring);
  // One front actor per I/O thread: two served 5-8 % more GETs a second than one
  // (a single mailbox serialises every answer); four did no better than two.
  front->fronts = spawn_front_actors(sys, cfg.io_threads);

  int exit_code = 0;
  {
    // With MANAGEMENT_PORT a second listener, on the same I/O threads, serves the
    // probes and /metrics (and only them); the API listener then does not.
    const bool management_listener = cfg.management_port != 0;
    auto api_options = server_options_from(cfg);
    api_options.tls = auth.certificate;  // the management listener stays plain HTTP
    http::server server{
      api_options,
      make_front_handler(front, management_listener ? listener_role::api : listener_role::all), io};
    std::unique_ptr<http::server> management;
    if (management_listener) {
      auto options = server_options_from(cfg);
      options.port = cfg.management_port;
      management = std::make_unique<http::server>(
        options, make_front_handler(front, listener_role::management), io);
    }
    if (start_listener(server, cfg.http_host, cfg.http_port, "api") &&
        (!management ||
         start_listener(*management, cfg.http_host, cfg.management_port, "management"))) {
      wait_for_shutdown_signal();
      front->live.draining = true;
      server.stop_accepting();
      auto drained = server.drain(
        std::chrono::duration_cast<std::chrono::milliseconds>(cfg.shutdown_timeout));
      if (!drained)
        log::warn("shutdown timeout reached with requests in flight",
                  {{"in_flight", std::int64_t(server.in_flight())}});
      server.stop();
      // The management listener stays open through the drain, so that probes get
      // readiness 503 (and liveness 200) rather than a refused connection, and a
      // scrape still sees the drain; it closes once the API listener has.
      if (management) {
        management->stop_accepting();
        management->drain(management_drain_timeout);
        management->stop();
      }
    } else {
      exit_code = 1;
    }
  }
  // Actor handles must be gone before the system's destructor waits for actors.
  wiring.stop_background_actors();
  stop_context_actors(*front);
  front.reset();
  log::info("stopped");
  return exit_code;
}

}  // namespace

service_wiring::service_wiring(caf::actor_system& sys, const settings& cfg, db_pool_actor pool,
                               front_context& front,
                               std::shared_ptr<security::token_file> neighbour_token)
    : sys_(sys),
      cfg_(cfg),
      pool_(std::move(pool)),
      front_(front),
      neighbour_token_(std::move(neighbour_token)) {
}

breaker_actor service_wiring::breaker(std::string target_name, const std::string& base_url) {
  breaker_config config;
  config.target_name = target_name;
  std::string why;
  auto parsed = http::base_url::parse(base_url, &why);
  if (!parsed)  // the settings loader refuses such a URL before this runs
    throw std::invalid_argument("base URL of " + target_name + ": " + why);
  config.base = std::move(*parsed);
  config.settings = {
    cfg_.breaker_failure_threshold,
    std::chrono::duration_cast<std::chrono::milliseconds>(cfg_.breaker_open_timeout),
    cfg_.breaker_half_open_max};
  config.max_in_flight = static_cast<std::size_t>(cfg_.user_service_max_in_flight);
  http::client_options client;
  client.total_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
    cfg_.http_client_timeout);
  client.connect_timeout = std::min(client.total_timeout, std::chrono::milliseconds{2000});
  client.ca_file = cfg_.user_service_ca_file;
  client.expect_https = config.base.tls;
  config.transport = http_transport(client);
  config.metrics = front_.metrics;
  config.bearer_token = neighbour_token_;
  auto handle = spawn_breaker(sys_, std::move(config));
  front_.breakers.emplace_back(std::move(target_name), handle);
  return handle;
}

std::shared_ptr<service_metrics> service_wiring::metrics() const {
  return front_.metrics;
}

void service_wiring::stop_background_actors() {
  for (auto& actor : background_)
    caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
  background_.clear();
}

void service_wiring::route(std::string method, std::string pattern, const resource_actor& resource,
                           collection_operation operation) {
  auto& resources = front_.resources;
  if (std::find(resources.begin(), resources.end(), resource) == resources.end())
    resources.push_back(resource);
  front_.routes.push_back({resource, operation});
  front_.router.add(std::move(method), std::move(pattern),
                    static_cast<int>(front_.routes.size() - 1));
}

int run_service(const service_definition& service, int argc, char** argv) {
  auto signals = shutdown_signals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto loaded = load_settings(service.name, argc, argv);
  if (loaded.kind == load_result::help) {
    std::cout << loaded.text;
    return 0;
  }
  if (loaded.kind == load_result::error) {
    std::cerr << service.name << ": " << loaded.text << '\n';
    return 2;
  }
  auto& cfg = loaded.config;
  cfg.io_threads = io_threads_for(cfg.io_threads, available_cpus());
  log::init(service.name, cfg.log_level, cfg.log_format);
  log_effective_settings(cfg);
  auth_setup auth;
  if (auto error = set_up_auth(cfg, auth); error || (error = set_up_tls(cfg, auth))) {
    std::cerr << service.name << ": " << *error << '\n';
    return 2;
  }
  switch (prepare_database(cfg, service)) {
    case startup::failed: return 1;
    case startup::interrupted: return 0;
    case startup::ready: break;
  }
  return serve(cfg, service, auth);
}

}  // namespace svc
