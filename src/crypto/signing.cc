// HMAC over OpenSSL's one-shot HMAC(); secret decoding per the Standard Webhooks convention.
#include "crypto/signing.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "crypto/encoding.h"

namespace hookd {
namespace {

constexpr std::string_view kSecretPrefix = "whsec_";

std::optional<std::string> SecretKeyBytes(std::string_view secret) {
  if (secret.substr(0, kSecretPrefix.size()) != kSecretPrefix) return std::nullopt;
  return Base64Decode(secret.substr(kSecretPrefix.size()));
}

}  // namespace

std::string HmacSha256(std::string_view key, std::string_view message) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(message.data()),
       message.size(), out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

std::string Sha256Hex(std::string_view data) {
  unsigned char out[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), out);
  return HexEncode(std::string_view(reinterpret_cast<char*>(out), sizeof out));
}

std::string GenerateWebhookSecret() { return std::string(kSecretPrefix) + Base64Encode(RandomBytes(32)); }

bool IsValidWebhookSecret(std::string_view secret) {
  auto key = SecretKeyBytes(secret);
  return key && key->size() >= 24 && key->size() <= 64;
}

std::optional<std::string> StandardWebhooksSignature(std::string_view secret, std::string_view msg_id,
                                                     int64_t timestamp_s, std::string_view body) {
  auto key = SecretKeyBytes(secret);
  if (!key) return std::nullopt;
  std::string signed_content;
  signed_content.reserve(msg_id.size() + body.size() + 24);
  signed_content.append(msg_id).append(".").append(std::to_string(timestamp_s)).append(".").append(body);
  return "v1," + Base64Encode(HmacSha256(*key, signed_content));
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
