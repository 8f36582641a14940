#include "token_factory.hpp"

#include <cstdlib>
#include <fstream>
#include <memory>
#include <stdexcept>

#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

namespace svc::testing {
namespace {

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  long size = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(size));
}

key_pair pem_pair(EVP_PKEY* key) {
  if (!key)
    throw std::runtime_error("key generation failed");
  std::unique_ptr<BIO, decltype(&BIO_free)> priv{BIO_new(BIO_s_mem()), BIO_free};
  std::unique_ptr<BIO, decltype(&BIO_free)> pub{BIO_new(BIO_s_mem()), BIO_free};
  PEM_write_bio_PrivateKey(priv.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  PEM_write_bio_PUBKEY(pub.get(), key);
  key_pair pair{bio_text(priv.get()), bio_text(pub.get())};
  EVP_PKEY_free(key);
  return pair;
}

std::string base64url(const std::string& in) {
  static const char* chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (unsigned char c : in) {
    buffer = (buffer << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(chars[(buffer >> bits) & 63]);
    }
  }
  if (bits > 0)
    out.push_back(chars[(buffer << (6 - bits)) & 63]);
  return out;
}

}  // namespace

key_pair make_rsa_key(int bits) {
  return pem_pair(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(bits)));
}

key_pair make_ec_key() {
  return pem_pair(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
}

std::string sign_token(const std::string& alg, const std::string& key, const std::string& kid,
                       const nlohmann::json& claims) {
  jwt_t* raw = nullptr;
  if (jwt_new(&raw) != 0)
    throw std::runtime_error("jwt_new failed");
  std::unique_ptr<jwt_t, decltype(&jwt_free)> jwt{raw, jwt_free};
  if (!kid.empty())
    jwt_add_header(jwt.get(), "kid", kid.c_str());
  if (jwt_add_grants_json(jwt.get(), claims.dump().c_str()) != 0)
    throw std::runtime_error("jwt_add_grants_json failed");
  if (jwt_set_alg(jwt.get(), jwt_str_alg(alg.c_str()),
                  reinterpret_cast<const unsigned char*>(key.data()),
                  static_cast<int>(key.size())) != 0)
    throw std::runtime_error("jwt_set_alg failed for " + alg);
  char* text = jwt_encode_str(jwt.get());
  if (!text)
    throw std::runtime_error("jwt_encode_str failed for " + alg);
  std::string token{text};
  std::free(text);
  return token;
}

std::string unsigned_token(const nlohmann::json& claims, const std::string& kid) {
  nlohmann::json header{{"alg", "none"}, {"typ", "JWT"}};
  if (!kid.empty())
    header["kid"] = kid;
  return base64url(header.dump()) + "." + base64url(claims.dump()) + ".";
}

long long epoch_seconds(std::chrono::seconds offset) {
  return std::chrono::duration_cast<std::chrono::seconds>(
           (std::chrono::system_clock::now() + offset).time_since_epoch())
    .count();
}

void write_file(const std::filesystem::path& path, const std::string& content) {
  auto temp = path;
  temp += ".tmp";
  std::ofstream{temp, std::ios::binary | std::ios::trunc} << content;
  std::filesystem::rename(temp, path);
}

}  // namespace svc::testing
