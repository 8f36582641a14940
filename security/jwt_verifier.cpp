#include "security/jwt_verifier.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>

#include <jwt.h>
#include <nlohmann/json.hpp>

namespace svc::security {
namespace {

using json = nlohmann::json;
using clock = std::chrono::system_clock;

// Strict base64url without padding (RFC 7515 2): what a JWS part must be.
std::optional<std::string> base64url_decode(std::string_view in) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z')
      return c - 'A';
    if (c >= 'a' && c <= 'z')
      return c - 'a' + 26;
    if (c >= '0' && c <= '9')
      return c - '0' + 52;
    if (c == '-')
      return 62;
    if (c == '_')
      return 63;
    return -1;
  };
  if (in.size() % 4 == 1)
    return std::nullopt;
  std::string out;
  out.reserve(in.size() * 3 / 4);
  unsigned buffer = 0;
  int bits = 0;
  for (char c : in) {
    int v = value(c);
    if (v < 0)
      return std::nullopt;
    buffer = (buffer << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xff));
    }
  }
  return out;
}

struct jose_header {
  jwt_alg_t alg = JWT_ALG_INVAL;
  std::string kid;
};

// The header as we read it; libjwt reads it again, and must agree on `alg`.
std::optional<jose_header> parse_header(std::string_view token, token_status& why) {
  why = token_status::malformed;
  auto first_dot = token.find('.');
  auto second_dot = first_dot == std::string_view::npos ? first_dot
                                                        : token.find('.', first_dot + 1);
  if (second_dot == std::string_view::npos ||
      token.find('.', second_dot + 1) != std::string_view::npos || first_dot == 0 ||
      second_dot == first_dot + 1 || second_dot + 1 == token.size())
    return std::nullopt;  // an empty signature is an unsigned token: never accepted
  auto text = base64url_decode(token.substr(0, first_dot));
  if (!text)
    return std::nullopt;
  auto header = json::parse(*text, nullptr, false);
  if (!header.is_object() || !header.contains("alg") || !header["alg"].is_string())
    return std::nullopt;
  jose_header h;
  const auto alg = header["alg"].get<std::string>();
  why = token_status::unsupported_alg;
  if (alg == "RS256")
    h.alg = JWT_ALG_RS256;
  else if (alg == "ES256")
    h.alg = JWT_ALG_ES256;
  else if (alg == "HS256")
    h.alg = JWT_ALG_HS256;
  else
    return std::nullopt;  // "none", other sizes, and whatever else
  if (header.contains("kid")) {
    if (!header["kid"].is_string()) {
      why = token_status::malformed;
      return std::nullopt;
    }
    h.kid = header["kid"].get<std::string>();
  }
  return h;
}

// The key for this header, of the algorithm's own kind; nullptr and `why` if none.
const verification_key* key_for(const key_set& keys, const jose_header& h, token_status& why) {
  if (h.alg == JWT_ALG_HS256) {
    why = token_status::unsupported_alg;
    return keys.hmac ? &*keys.hmac : nullptr;
  }
  why = token_status::unknown_key;
  auto it = keys.public_keys.find(h.kid);
  if (it == keys.public_keys.end())
    return nullptr;
  const auto wanted = h.alg == JWT_ALG_RS256 ? key_kind::rsa : key_kind::ec_p256;
  if (it->second.kind != wanted) {
    why = token_status::unsupported_alg;
    return nullptr;
  }
  return &it->second;
}

// A NumericDate (RFC 7519 2): seconds, maybe with a fraction; nullopt if not a
// number. Clamped to +-2^33 s (year 2242), so that a time_point of it (and the
// skew added) never overflows system_clock's nanoseconds.
std::optional<std::int64_t> numeric_date(const json& v) {
  constexpr std::int64_t limit = std::int64_t{1} << 33;
  if (v.is_number_unsigned())
    return static_cast<std::int64_t>(std::min<std::uint64_t>(v.get<std::uint64_t>(), limit));
  if (v.is_number_integer())
    return std::clamp(v.get<std::int64_t>(), -limit, limit);
  if (v.is_number_float()) {
    double d = v.get<double>();
    if (!std::isfinite(d))
      return std::nullopt;
    return static_cast<std::int64_t>(
      std::floor(std::clamp(d, -static_cast<double>(limit), static_cast<double>(limit))));
  }
  return std::nullopt;
}

bool audience_matches(const json& aud, const std::string& wanted) {
  if (aud.is_string())
    return aud.get<std::string>() == wanted;
  if (aud.is_array())
    for (const auto& item : aud)
      if (item.is_string() && item.get<std::string>() == wanted)
        return true;
  return false;
}

struct jwt_deleter {
  void operator()(jwt_t* j) const { jwt_free(j); }
};

}  // namespace

std::string_view to_string(token_status status) {
  switch (status) {
    case token_status::ok: return "ok";
    case token_status::malformed: return "malformed";
    case token_status::unsupported_alg: return "unsupported_alg";
    case token_status::unknown_key: return "unknown_key";
    case token_status::bad_signature: return "bad_signature";
    case token_status::expired: return "expired";
    case token_status::not_yet_valid: return "not_yet_valid";
    case token_status::wrong_issuer: return "wrong_issuer";
    case token_status::wrong_audience: return "wrong_audience";
    case token_status::bad_claims: return "bad_claims";
  }
  return "malformed";
}

jwt_verifier::jwt_verifier(verifier_options options)
    : options_{std::move(options)},
      keys_{{options_.public_keys_dir, options_.hs256_secret_file, options_.key_recheck_interval,
             options_.on_key_problem}},
      cache_{options_.cache_capacity} {
}

verification jwt_verifier::verify(std::string_view token, clock::time_point now) {
  verification result;
  if (token.empty() || token.size() > max_token_bytes)
    return result;
  const auto keys = keys_.current();
  const auto digest = digest_of(token);
  if (auto hit = cache_.find(digest, now)) {
    if (keys->holds(hit->key_id))
      return {token_status::ok, std::move(hit->subject), std::move(hit->scopes), true};
    cache_.erase(digest);  // its key was removed or replaced: check it again
  }

  auto header = parse_header(token, result.status);
  if (!header)
    return result;
  const auto* key = key_for(*keys, *header, result.status);
  if (!key)
    return result;

  const std::string nul_terminated{token};
  jwt_t* raw = nullptr;
  int rc = jwt_decode(&raw, nul_terminated.c_str(),
                      reinterpret_cast<const unsigned char*>(key->material.data()),
                      static_cast<int>(key->material.size()));
  std::unique_ptr<jwt_t, jwt_deleter> decoded{raw};
  // libjwt checks with the header's alg: it must still be the one the key was chosen for.
  if (rc != 0 || !decoded || jwt_get_alg(decoded.get()) != header->alg) {
    result.status = token_status::bad_signature;
    return result;
  }

  char* grants_text = jwt_get_grants_json(decoded.get(), nullptr);
  auto claims = grants_text ? json::parse(grants_text, nullptr, false) : json{};
  std::free(grants_text);
  result.status = token_status::bad_claims;
  if (!claims.is_object() || !claims.contains("exp"))
    return result;
  auto exp = numeric_date(claims["exp"]);
  std::optional<std::int64_t> nbf;
  if (claims.contains("nbf") && !(nbf = numeric_date(claims["nbf"])))
    return result;
  if (!exp || (claims.contains("sub") && !claims["sub"].is_string()) ||
      (claims.contains("scope") && !claims["scope"].is_string()))
    return result;

  const auto now_s =
    std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  const auto skew = options_.clock_skew.count();
  if (now_s >= *exp + skew) {
    result.status = token_status::expired;
    return result;
  }
  if (nbf && now_s + skew < *nbf) {
    result.status = token_status::not_yet_valid;
    return result;
  }
  if (!options_.issuer.empty() && !(claims.contains("iss") && claims["iss"].is_string() &&
                                    claims["iss"].get<std::string>() == options_.issuer)) {
    result.status = token_status::wrong_issuer;
    return result;
  }
  if (!options_.audience.empty() &&
      !(claims.contains("aud") && audience_matches(claims["aud"], options_.audience))) {
    result.status = token_status::wrong_audience;
    return result;
  }

  result.status = token_status::ok;
  result.subject = claims.contains("sub") ? claims["sub"].get<std::string>() : std::string{};
  result.scopes = std::make_shared<const scope_set>(parse_scope_claim(
    claims.contains("scope") ? claims["scope"].get<std::string>() : std::string{}));
  cache_.insert(digest, {result.subject, result.scopes,
                         clock::time_point{std::chrono::seconds{*exp + skew}}, key->id});
  return result;
}

}  // namespace svc::security
