// HMAC over OpenSSL's EVP_MAC and SHA-256 over EVP_Digest, with the algorithms fetched once (OpenSSL 3's one-shot
// HMAC() and SHA256() fetch them on every call, once per signature); secret decoding per the Standard Webhooks
// convention.
#include "crypto/signing.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <memory>
#include <stdexcept>

#include "common/signing_scheme.h"
#include "crypto/ed25519.h"
#include "crypto/encoding.h"

namespace hookd {
namespace {

std::optional<std::string> SecretKeyBytes(std::string_view secret) {
  if (secret.substr(0, kHmacSecretPrefix.size()) != kHmacSecretPrefix) return std::nullopt;
  return Base64Decode(secret.substr(kHmacSecretPrefix.size()));
}

}  // namespace

std::string HmacSha256(std::string_view key, std::string_view message) {
  return HmacSha256Key(key).Mac({message});
}

HmacSha256Key::HmacSha256Key(std::string_view key) {
  static const std::unique_ptr<EVP_MAC, decltype(&EVP_MAC_free)> mac(EVP_MAC_fetch(nullptr, "HMAC", nullptr),
                                                                     &EVP_MAC_free);  // fetched once
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0), OSSL_PARAM_END};
  static const unsigned char kEmpty = 0;  // a zero-length key still needs a valid pointer
  const auto* key_bytes = key.empty() ? &kEmpty : reinterpret_cast<const unsigned char*>(key.data());
  if (mac) ctx_ = EVP_MAC_CTX_new(mac.get());
  if (!ctx_ || EVP_MAC_init(ctx_, key_bytes, key.size(), params) != 1) {
    EVP_MAC_CTX_free(ctx_);
    throw std::runtime_error("OpenSSL has no HMAC-SHA256");
  }
}

HmacSha256Key::~HmacSha256Key() {
  EVP_MAC_CTX_free(ctx_);
}

std::string HmacSha256Key::Mac(std::initializer_list<std::string_view> parts) {
  unsigned char out[EVP_MAX_MD_SIZE];
  size_t len = 0;
  bool ok = EVP_MAC_init(ctx_, nullptr, 0, nullptr) == 1;  // restart under the key already set
  for (std::string_view part : parts) {
    ok = ok && EVP_MAC_update(ctx_, reinterpret_cast<const unsigned char*>(part.data()), part.size()) == 1;
  }
  if (!ok || EVP_MAC_final(ctx_, out, &len, sizeof out) != 1) throw std::runtime_error("HMAC-SHA256 failed");
  return std::string(reinterpret_cast<char*>(out), len);
}

StandardWebhooksSigner::StandardWebhooksSigner(std::string_view secret) {
  if (auto key = SecretKeyBytes(secret)) {
    key_ = std::make_unique<HmacSha256Key>(*key);
  } else if (IsEd25519Secret(secret)) {
    ed25519_ = std::make_unique<Ed25519Key>(secret);
  }
}

StandardWebhooksSigner::~StandardWebhooksSigner() = default;
StandardWebhooksSigner::StandardWebhooksSigner(StandardWebhooksSigner&&) noexcept = default;

std::optional<std::string> StandardWebhooksSigner::Sign(std::string_view msg_id, int64_t timestamp_s,
                                                        std::string_view body) {
  const std::string timestamp = std::to_string(timestamp_s);
  if (key_) return "v1," + Base64Encode(key_->Mac({msg_id, ".", timestamp, ".", body}));
  if (!ed25519_) return std::nullopt;
  std::string message;
  message.reserve(msg_id.size() + timestamp.size() + body.size() + 2);
  message.append(msg_id).append(".").append(timestamp).append(".").append(body);
  return "v1a," + Base64Encode(ed25519_->Sign(message));
}

std::string Sha256Hex(std::string_view data) {
  return HexEncode(Sha256(data));
}

std::string Sha256(std::string_view data) {
  static const std::unique_ptr<EVP_MD, decltype(&EVP_MD_free)> sha256(EVP_MD_fetch(nullptr, "SHA256", nullptr),
                                                                      &EVP_MD_free);  // fetched once
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!sha256 || EVP_Digest(data.data(), data.size(), out, &len, sha256.get(), nullptr) != 1) {
    throw std::runtime_error("SHA-256 failed");
  }
  return std::string(reinterpret_cast<char*>(out), len);
}

std::string GenerateWebhookSecret() {
  return std::string(kHmacSecretPrefix) + Base64Encode(RandomBytes(32));
}

bool IsValidWebhookSecret(std::string_view secret) {
  auto key = SecretKeyBytes(secret);
  return key && key->size() >= 24 && key->size() <= 64;
}

std::optional<std::string> StandardWebhooksSignature(std::string_view secret, std::string_view msg_id,
                                                     int64_t timestamp_s, std::string_view body) {
  return StandardWebhooksSigner(secret).Sign(msg_id, timestamp_s, body);
}

std::string SeedSignature(std::string_view secret, std::string_view body) {
  return HexEncode(HmacSha256(secret, body));
}

bool VerifyStandardWebhooksSignature(std::string_view secret, std::string_view msg_id, int64_t timestamp_s,
                                     std::string_view body, std::string_view header) {
  auto expected = StandardWebhooksSignature(secret, msg_id, timestamp_s, body);
  if (!expected) return false;
  size_t pos = 0;
  while (pos < header.size()) {
    size_t end = header.find(' ', pos);
    if (end == std::string_view::npos) end = header.size();
    if (ConstantTimeEquals(header.substr(pos, end - pos), *expected)) return true;
    pos = end + 1;
  }
  return false;
}

}  // namespace hookd
