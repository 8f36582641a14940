#include "http/bearer_auth.hpp"

#include <algorithm>

#include "domain/ascii_text.hpp"
#include "http/envelope.hpp"
#include "security/bearer_token.hpp"
#include "security/jwt_verifier.hpp"
#include "security/scopes.hpp"

namespace svc::http {
bearer_verdict check_bearer(security::jwt_verifier& verifier, const request& req,
                            std::string_view route) {
  using kind = bearer_verdict::kind;
  const std::string* header = nullptr;
  for (const auto& h : req.headers)
    if (ascii_iequals(h.name, "Authorization")) {
      if (header)  // which one would count? Neither.
        return {kind::invalid, {}, "several Authorization headers", {}};
      header = &h.value;
    }
  std::string_view value = header ? std::string_view{*header} : std::string_view{};
  auto credentials = security::parse_bearer(header ? &value : nullptr);
  switch (credentials.result) {
    case security::bearer_credentials::status::absent: return {kind::missing, {}, "missing", {}};
    case security::bearer_credentials::status::malformed:
      return {kind::invalid, {}, "malformed", {}};
    case security::bearer_credentials::status::ok: break;
  }
  auto checked = verifier.verify(credentials.token);
  if (!checked.ok())
    return {kind::invalid, {}, std::string{security::to_string(checked.status)}, {}};
  auto scope = security::required_scope(req.method, route);
  if (!scope.empty() && !security::has_scope(*checked.scopes, scope))
    return {kind::insufficient_scope, std::move(checked.subject), "insufficient_scope",
            std::move(scope)};
  return {kind::allowed, std::move(checked.subject), {}, {}};
}

response bearer_refusal(const bearer_verdict& verdict, std::string_view realm,
                        std::string_view request_id) {
  using kind = bearer_verdict::kind;
  // The realm is the service's own name: no quote or backslash to escape.
  std::string challenge = "Bearer realm=\"" + std::string{realm} + "\"";
  response resp;
  switch (verdict.result) {
    case kind::insufficient_scope:
      resp = error_response(error_code::forbidden, "the token does not grant this operation",
                            request_id);
      challenge += ", error=\"insufficient_scope\", scope=\"" + verdict.required_scope + "\"";
      break;
    case kind::invalid:
      resp = error_response(error_code::unauthorized, "invalid bearer token", request_id);
      challenge += ", error=\"invalid_token\"";
      break;
    case kind::missing:
    case kind::allowed:  // not a refusal: answered as missing rather than let through
      resp = error_response(error_code::unauthorized, "authentication required", request_id);
      break;
  }
  resp.set_header("WWW-Authenticate", std::move(challenge));
  return resp;
}

}  // namespace svc::http
