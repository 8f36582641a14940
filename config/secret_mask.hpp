// Hiding the secrets of PostgreSQL connection strings in text that is shown:
// settings, --help, error lines, and log lines quoting a libpq or libpqxx message.
#pragma once

#include <string>
#include <string_view>

namespace svc {

// `text` with every password libpq could read from it replaced by "***":
//   - in a URI ("scheme://", any case, anywhere in the text): the password of the
//     user info, and the values of the query parameters password and sslpassword
//     (keys percent-decoded, as libpq reads them);
//   - in a key/value string: the values of password and sslpassword, quoted
//     ('a b\' c') or not, with or without blanks around the '=';
//   - libpq's "percent-encoded value/token" errors, which quote one value alone.
// Works on malformed text too (an error line must not print what failed to
// parse), and errs on the side of hiding more than the secret.
std::string mask_secrets(std::string_view text);

}  // namespace svc
