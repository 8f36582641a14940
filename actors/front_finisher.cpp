#include "actors/front_finisher.hpp"

#include <array>

#include "config/secret_mask.hpp"
#include "http/cors.hpp"

namespace svc {

// The access line with those of `optional` that are set (log::fields is an
// initializer list: each combination is its own call, unrolled here).
template <std::size_t I, class... Extra>
void finisher::access_line_with(const http::response& resp, double seconds,
                                const std::array<std::optional<log::field>, 2>& optional,
                                const Extra&... extra) const {
  if constexpr (I == 2)
    access_line(resp, seconds, extra...);
  else if (optional[I])
    access_line_with<I + 1>(resp, seconds, optional, extra..., *optional[I]);
  else
    access_line_with<I + 1>(resp, seconds, optional, extra...);
}

template <class... Extra>
void finisher::access_line(const http::response& resp, double seconds,
                           const Extra&... extra) const {
  log::info(scope(), "request",
            {{"client", client},
             {"method", method},
             {"route", route},
             {"path", path},
             {"status", std::int64_t{resp.status}},
             {"bytes", static_cast<std::int64_t>(resp.body.size())},
             {"duration_ms", seconds * 1000.0},
             {"user_agent", user_agent},
             extra...});
}

void finisher::operator()(http::response resp) const {
  // Room for the request id, the rate limit and the CORS headers at once.
  resp.headers.reserve(resp.headers.size() + 6);
  resp.set_header("X-Request-ID", request_id);
  if (rate_remaining) {
    resp.set_header("X-RateLimit-Limit", std::to_string(ctx->rate_limit));
    resp.set_header("X-RateLimit-Remaining", std::to_string(*rate_remaining));
  }
  http::add_cors_headers(resp, ctx->cors_allowed_origins, origin ? &*origin : nullptr);
  auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (ctx->metrics) {
    ctx->metrics->request_finished(method, route, resp.status, seconds);
    if (!resp.error_code.empty())
      ctx->metrics->app_error(resp.error_code);
  }
  if (log::enabled(log::level::info)) {
    std::array<std::optional<log::field>, 2> optional;
    if (peer != client)
      optional[0] = log::field{"peer", peer};
    if (!auth_failure.empty())
      optional[1] = log::field{"auth", auth_failure};
    access_line_with(resp, seconds, optional);
  }
  respond(std::move(resp));
}

void finisher::answer_unhandled(const std::exception* e) const noexcept {
  try {
    if (e)
      log::error(scope(), "unhandled exception in the front", {{"error", mask_secrets(e->what())}});
    else
      log::error(scope(), "unhandled exception in the front");
  } catch (...) {  // the answer below matters more than the line
  }
  try {
    (*this)(internal_error_response(request_id));
  } catch (...) {
    // The responder itself failed: nothing is left to answer with. (Should it
    // still be owed an answer, its last copy's destructor sends a 500.)
  }
}

}  // namespace svc
