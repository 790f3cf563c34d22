// Asymmetric webhook signatures (SPEC §10, Standard Webhooks `v1a`): a webhook whose secret is an Ed25519 key
// ("whsk_" + base64 of the 32-byte seed) signs "<webhook-id>.<webhook-timestamp>.<body>" with it, and receivers
// verify with the public key alone, published in the account's JWKS under a key id that is the key's RFC 7638
// thumbprint. The key is sealed at rest like every secret; only the public half ever leaves hookd.
// Free functions are pure and thread-safe; an Ed25519Key serves one thread at a time.
#pragma once

#include <openssl/types.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/signing_scheme.h"

namespace hookd {

inline constexpr std::string_view kEd25519PublicPrefix = "whpk_";

// "whsk_" + base64 of 32 random bytes.
[[nodiscard]] std::string GenerateEd25519Secret();
// True for "whsk_" + base64 of exactly 32 bytes.
[[nodiscard]] bool IsEd25519Secret(std::string_view secret);

class Ed25519Key {
 public:
  // Invalid (valid() false) when `secret` is not an Ed25519 secret.
  explicit Ed25519Key(std::string_view secret);
  [[nodiscard]] bool valid() const { return key_ != nullptr; }
  // The 64-byte signature of `message`.
  [[nodiscard]] std::string Sign(std::string_view message) const;
  [[nodiscard]] const std::string& public_key() const { return public_key_; }  // 32 bytes
  [[nodiscard]] const std::string& key_id() const { return key_id_; }

 private:
  std::shared_ptr<EVP_PKEY> key_;
  std::string public_key_;
  std::string key_id_;
};

// The RFC 7638 thumbprint of an Ed25519 public key's JWK: base64url(SHA-256 of {"crv":"Ed25519","kty":"OKP","x":…}).
[[nodiscard]] std::string Ed25519KeyId(std::string_view public_key);
// "whpk_" + base64 of the public key: what the Standard Webhooks libraries take to verify.
[[nodiscard]] std::string Ed25519PublicKeyText(std::string_view public_key);

}  // namespace hookd
