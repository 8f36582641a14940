#include "actors/shared_bucket_store.hpp"

#include <algorithm>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "observability/log.hpp"
#include "observability/metrics.hpp"

namespace svc {

shared_bucket_store::shared_bucket_store(options opts, hooks h, boost::asio::io_context& io)
    : opts_(std::move(opts)),
      hooks_(std::move(h)),
      io_(io),
      script_arguments_(shared_bucket_arguments(opts_.limits)),
      backoff_(opts_.backoff_min),
      conn_(io, hooks_.socket_ready) {
}

shared_bucket_store::~shared_bucket_store() {
  // The owner is going away: its answers must not run any more.
  closing_ = true;
  waiting_.clear();
  conn_.close();
}

std::string shared_bucket_store::where() const {
  return opts_.endpoint.host + ":" + std::to_string(opts_.endpoint.port);
}

void shared_bucket_store::start() {
  if (opts_.metrics)
    opts_.metrics->rate_limit_backend_up(false);
  attempt();
}

// Resolving a name blocks in getaddrinfo: asio's resolver does it on a thread of
// its own, and the address comes back to the owner as a message.
void shared_bucket_store::attempt() {
  state_ = state::resolving;
  deadline_ = clock::now() + opts_.connect_within;
  const auto attempt = ++attempt_;
  auto resolver = std::make_shared<boost::asio::ip::tcp::resolver>(io_);
  resolver->async_resolve(opts_.endpoint.host, std::to_string(opts_.endpoint.port),
                          [resolver, attempt, resolved = hooks_.resolved](
                            const boost::system::error_code& ec,
                            const boost::asio::ip::tcp::resolver::results_type& results) {
                            if (ec == boost::asio::error::operation_aborted)
                              return;
                            if (ec || results.empty())
                              resolved(attempt, {}, ec ? ec.message() : "no address");
                            else
                              resolved(attempt, results.begin()->endpoint().address().to_string(),
                                       {});
                          });
}

void shared_bucket_store::on_resolved(std::uint64_t attempt, const std::string& address,
                                      const std::string& error) {
  if (attempt != attempt_ || state_ != state::resolving)
    return;  // an attempt given up already
  if (!error.empty()) {
    fail("cannot resolve " + opts_.endpoint.host + ": " + error);
    return;
  }
  if (!conn_.open(address, opts_.endpoint.port)) {
    fail(conn_.last_error());
    return;
  }
  state_ = state::connecting;
  handshake();
}

// Queued at once, sent as soon as the TCP connection is up: AUTH, SELECT, and
// the script, whose SHA1 every check then names. The state turns up with the
// script's reply, the last of them.
void shared_bucket_store::handshake() {
  const auto& e = opts_.endpoint;
  auto refused = [this](const char* what) {
    return [this, what](const redis_value* r) {
      if (r && r->type == redis_value::kind::error && !failure_)
        failure_ = std::string{what} + " refused: " + r->text;
    };
  };
  if (!e.password.empty()) {
    std::vector<std::string> auth{"AUTH"};
    if (!e.username.empty())
      auth.push_back(e.username);
    auth.push_back(e.password);
    conn_.send(auth, refused("AUTH"));
  }
  if (e.database != 0)
    conn_.send({"SELECT", std::to_string(e.database)}, refused("SELECT"));
  conn_.send({"SCRIPT", "LOAD", std::string{shared_bucket_script()}}, [this](const redis_value* r) {
    if (!r || failure_)
      return;  // closed: fail() follows
    if (r->type != redis_value::kind::string) {
      failure_ = "SCRIPT LOAD refused: " + r->text;
      return;
    }
    sha_ = r->text;
    state_ = state::up;
    backoff_ = opts_.backoff_min;
    last_reply_error_.clear();
    report(true, {});
  });
}

void shared_bucket_store::fail(const std::string& reason) {
  failure_.reset();
  conn_.close();  // the checks awaiting Redis are answered locally from here
  sent_.clear();
  state_ = state::down;
  retry_at_ = clock::now() + backoff_;
  backoff_ = std::min(backoff_ * 2, opts_.backoff_max);
  report(false, reason);
}

void shared_bucket_store::report(bool reachable, const std::string& reason) {
  if (opts_.metrics)
    opts_.metrics->rate_limit_backend_up(reachable);
  if (reported_up_ == reachable)
    return;  // once per change, never once per attempt or request
  reported_up_ = reachable;
  if (reachable)
    log::info("rate limit buckets shared through Redis", {{"redis", where()}});
  else
    log::warn("Redis unreachable: each process's own rate limit buckets decide until it is back",
              {{"redis", where()}, {"error", reason}});
}

void shared_bucket_store::check(const std::string& client, answer_fn answer) {
  if (state_ != state::up || waiting_.size() >= opts_.max_waiting) {
    answer(std::nullopt);
    return;
  }
  const auto id = ++next_id_;
  waiting_.emplace(id, std::move(answer));
  deadlines_.emplace_back(id, clock::now() + opts_.answer_within);
  send_check(id, shared_bucket_key(opts_.service, client), false);
}

void shared_bucket_store::send_check(std::uint64_t id, const std::string& key, bool with_source) {
  std::vector<std::string> args{with_source ? "EVAL" : "EVALSHA",
                                with_source ? std::string{shared_bucket_script()} : sha_, "1", key};
  args.insert(args.end(), script_arguments_.begin(), script_arguments_.end());
  sent_.push_back(clock::now());
  if (!conn_.send(args, [this, id, key](const redis_value* r) { on_check_reply(id, key, r); })) {
    sent_.pop_back();
    finish(id, std::nullopt);
  }
}

void shared_bucket_store::on_check_reply(std::uint64_t id, const std::string& key,
                                         const redis_value* reply) {
  if (!sent_.empty())
    sent_.pop_front();  // replies come in the order of the commands
  if (!reply || closing_) {
    finish(id, std::nullopt);
    return;
  }
  if (is_noscript_error(*reply)) {
    // Redis lost the script (restarted behind a proxy, SCRIPT FLUSH): EVAL
    // carries the source, and Redis keeps it for the EVALSHAs after.
    if (waiting_.count(id))
      send_check(id, key, true);
    return;
  }
  auto decision = parse_shared_bucket_reply(*reply);
  if (!decision && reply->text != last_reply_error_) {
    last_reply_error_ = reply->text;
    log::warn("Redis refused a rate limit check; the local bucket decides",
              {{"redis", where()}, {"error", reply->text}});
  }
  finish(id, decision);
}

void shared_bucket_store::finish(std::uint64_t id, std::optional<rate_decision> decision) {
  auto it = waiting_.find(id);
  if (it == waiting_.end())
    return;  // answered already: Redis was too late
  auto answer = std::move(it->second);
  waiting_.erase(it);
  answer(decision);
}

void shared_bucket_store::on_socket_ready(std::uint64_t generation, bool writable) {
  switch (conn_.on_socket_ready(generation, writable)) {
    case redis_connection::event::connect_failed:
    case redis_connection::event::closed: fail(conn_.last_error()); return;
    default: break;
  }
  if (failure_)
    fail(*failure_);
}

void shared_bucket_store::tick() {
  const auto now = clock::now();
  while (!deadlines_.empty() && deadlines_.front().second <= now) {
    const auto id = deadlines_.front().first;
    deadlines_.pop_front();
    finish(id, std::nullopt);
  }
  if (failure_) {
    fail(*failure_);
    return;
  }
  switch (state_) {
    case state::up:
      if (!sent_.empty() && now - sent_.front() >= opts_.connect_within)
        fail("no answer from Redis within " + std::to_string(opts_.connect_within.count()) + " ms");
      break;
    case state::resolving:
    case state::connecting:
      if (now >= deadline_)
        fail("no connection within " + std::to_string(opts_.connect_within.count()) + " ms");
      break;
    case state::down:
      if (now >= retry_at_)
        attempt();
      break;
  }
}

std::optional<shared_bucket_store::clock::time_point> shared_bucket_store::next_tick() const {
  std::optional<clock::time_point> next;
  auto consider = [&](clock::time_point t) {
    if (!next || t < *next)
      next = t;
  };
  if (!deadlines_.empty())
    consider(deadlines_.front().second);
  switch (state_) {
    case state::up:
      if (!sent_.empty())
        consider(sent_.front() + opts_.connect_within);
      break;
    case state::resolving:
    case state::connecting: consider(deadline_); break;
    case state::down: consider(retry_at_); break;
  }
  return next;
}

}  // namespace svc
