// The HTTP face of security/: whether a request's bearer token lets it through,
// and the 401 / 403 it gets when not (RFC 6750 3, in the contract's envelope):
//
//   no bearer token                 401 UNAUTHORIZED  WWW-Authenticate: Bearer realm="<service>"
//   a token that is not valid       401 UNAUTHORIZED  ... , error="invalid_token"
//   valid, without the route's scope 403 FORBIDDEN    ... , error="insufficient_scope", scope="users:write"
//
// A client never learns which check failed (expired, signature, issuer...): the
// reason goes to the access line only. No CAF, no Beast.
#pragma once

#include <string>
#include <string_view>

#include "http/message.hpp"

namespace svc::security {
class jwt_verifier;
}

namespace svc::http {

struct bearer_verdict {
  enum class kind { allowed, missing, invalid, insufficient_scope };
  kind result = kind::missing;
  std::string subject;  // the token's `sub`, when it was valid
  std::string reason;   // for the access line: "missing", "expired", "insufficient_scope", ...
  std::string required_scope;  // the scope a 403 lacked

  bool allowed() const { return result == kind::allowed; }
};

// `route` is the matched route template ("/api/v1/users/{id}"), or "" when no
// route matched: then a valid token is enough (the answer is a 404 anyway). More
// than one Authorization line is a token that is not valid.
bearer_verdict check_bearer(security::jwt_verifier& verifier, const request& req,
                            std::string_view route);

// The response for a verdict that is not `allowed`; `realm` is the service name.
response bearer_refusal(const bearer_verdict& verdict, std::string_view realm,
                        std::string_view request_id);

}  // namespace svc::http
