#include "http/request_id.hpp"

#include <boost/random/mersenne_twister.hpp>
#include <boost/uuid/random_generator.hpp>
#include <boost/uuid/uuid.hpp>
#include <boost/uuid/uuid_io.hpp>

namespace svc::http {

bool valid_request_id(std::string_view id) {
  if (id.empty() || id.size() > 128 || id.front() == ' ' || id.back() == ' ')
    return false;
  for (unsigned char c : id)
    if (c < 0x20 || c > 0x7E)
      return false;
  return true;
}

std::string new_request_id() {
  // Boost's random_generator asks the OS for entropy (a getrandom system call)
  // for every UUID. A request id needs uniqueness, not secrecy: each thread
  // seeds a Mersenne twister from the OS once and draws from it. The 64-bit
  // twister fills the generator's 64-bit draws whole, two per UUID, where the
  // 32-bit one needed two steps and their combining for each.
  thread_local boost::uuids::basic_random_generator<boost::random::mt19937_64> generator;
  return boost::uuids::to_string(generator());
}

std::string request_id_from(const std::string* header_value) {
  if (header_value && valid_request_id(*header_value))
    return *header_value;
  return new_request_id();
}

std::string request_id_from(const request& req) {
  return request_id_from(req.find_header("X-Request-ID"));
}

}  // namespace svc::http
