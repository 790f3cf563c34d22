// Ed25519 over OpenSSL 3's EVP_PKEY (raw 32-byte seeds in, raw 64-byte signatures out).
#include "crypto/ed25519.h"

#include <openssl/evp.h>

#include <stdexcept>

#include "crypto/encoding.h"
#include "crypto/signing.h"

namespace hookd {

namespace {

std::optional<std::string> SeedOf(std::string_view secret) {
  if (secret.substr(0, kEd25519SecretPrefix.size()) != kEd25519SecretPrefix) return std::nullopt;
  auto seed = Base64Decode(secret.substr(kEd25519SecretPrefix.size()));
  if (!seed || seed->size() != 32) return std::nullopt;
  return seed;
}

}  // namespace

std::string GenerateEd25519Secret() {
  return std::string(kEd25519SecretPrefix) + Base64Encode(RandomBytes(32));
}

bool IsEd25519Secret(std::string_view secret) {
  return SeedOf(secret).has_value();
}

Ed25519Key::Ed25519Key(std::string_view secret) {
  const std::optional<std::string> seed = SeedOf(secret);
  if (!seed) return;
  EVP_PKEY* key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr,
                                               reinterpret_cast<const unsigned char*>(seed->data()), seed->size());
  if (!key) throw std::runtime_error("OpenSSL has no Ed25519");
  key_.reset(key, &EVP_PKEY_free);
  unsigned char pub[32];
  size_t len = sizeof pub;
  if (EVP_PKEY_get_raw_public_key(key, pub, &len) != 1 || len != sizeof pub) {
    throw std::runtime_error("Ed25519 public key derivation failed");
  }
  public_key_.assign(reinterpret_cast<char*>(pub), len);
  key_id_ = Ed25519KeyId(public_key_);
}

std::string Ed25519Key::Sign(std::string_view message) const {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  unsigned char signature[64];
  size_t len = sizeof signature;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key_.get()) != 1 ||
      EVP_DigestSign(ctx.get(), signature, &len, reinterpret_cast<const unsigned char*>(message.data()),
                     message.size()) != 1) {
    throw std::runtime_error("Ed25519 signing failed");
  }
  return std::string(reinterpret_cast<char*>(signature), len);
}

std::string Ed25519KeyId(std::string_view public_key) {
  // RFC 7638: the required members in lexicographic order, no whitespace.
  const std::string jwk = R"({"crv":"Ed25519","kty":"OKP","x":")" + Base64UrlEncode(public_key) + "\"}";
  return Base64UrlEncode(Sha256(jwk));
}

std::string Ed25519PublicKeyText(std::string_view public_key) {
  return std::string(kEd25519PublicPrefix) + Base64Encode(public_key);
}

}  // namespace hookd
