// The credentials of an `Authorization` header (RFC 7235, RFC 6750 2.1):
//   Authorization: Bearer <token68>
// The scheme is case-insensitive; one or more spaces separate it from the token.
#pragma once

#include <string_view>

namespace svc::security {

struct bearer_credentials {
  enum class status {
    absent,     // no Authorization header, or another scheme (Basic, ...): no bearer token
    malformed,  // "Bearer" with no token, or a token outside the token68 charset
    ok,
  };
  status result = status::absent;
  std::string_view token;  // when ok: a view into the header value
};

// `header` is the value of the Authorization field, nullptr when there is none.
bearer_credentials parse_bearer(const std::string_view* header);

// token68 (RFC 7235 2.1): ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/", then
// any number of "=". Not empty.
bool is_token68(std::string_view text);

}  // namespace svc::security
