// Webhook signatures (SPEC §4), byte for byte:
//  - Standard Webhooks: "v1," + base64(HMAC-SHA256(key = base64-decoded part of the secret after "whsec_",
//    msg = "<webhook-id>.<webhook-timestamp>.<body>")).
//  - Seed compatibility (X-Webhook-Signature): lowercase hex HMAC-SHA256 of the raw body, keyed by the UTF-8
//    bytes of the whole secret string (what seed 001's Python/Node examples verify).
// The free functions are pure and thread-safe; a keyed object (HmacSha256Key, StandardWebhooksSigner) serves one
// thread at a time.
#pragma once

#include <openssl/types.h>

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace hookd {

class Ed25519Key;

[[nodiscard]] std::string HmacSha256(std::string_view key, std::string_view message);

// HMAC-SHA256 under one key, keyed once: each message then skips the key schedule and most of OpenSSL's
// per-call allocations (re-keying on every message was over a third of the delivery engine's signing time).
// One object must not be used by two threads at once.
class HmacSha256Key {
 public:
  explicit HmacSha256Key(std::string_view key);
  ~HmacSha256Key();
  HmacSha256Key(const HmacSha256Key&) = delete;
  HmacSha256Key& operator=(const HmacSha256Key&) = delete;

  // The 32-byte MAC of the concatenation of `parts`.
  [[nodiscard]] std::string Mac(std::initializer_list<std::string_view> parts);

 private:
  EVP_MAC_CTX* ctx_ = nullptr;
};

// A Standard Webhooks secret, decoded and keyed once, for signing many messages: a whsec_ secret signs with
// HMAC-SHA256 ("v1,"), a whsk_ key with Ed25519 ("v1a,", crypto/ed25519.h).
class StandardWebhooksSigner {
 public:
  explicit StandardWebhooksSigner(std::string_view secret);
  ~StandardWebhooksSigner();
  StandardWebhooksSigner(StandardWebhooksSigner&&) noexcept;
  // False when the secret is neither; Sign then returns nullopt.
  [[nodiscard]] bool valid() const { return key_ != nullptr || ed25519_ != nullptr; }
  // "v1,<base64>" or "v1a,<base64>".
  [[nodiscard]] std::optional<std::string> Sign(std::string_view msg_id, int64_t timestamp_s, std::string_view body);
  // The Ed25519 key when the secret is one, else null.
  [[nodiscard]] const Ed25519Key* ed25519() const { return ed25519_.get(); }

 private:
  std::unique_ptr<HmacSha256Key> key_;
  std::unique_ptr<Ed25519Key> ed25519_;
};

[[nodiscard]] std::string Sha256(std::string_view data);  // the 32-byte digest
[[nodiscard]] std::string Sha256Hex(std::string_view data);

// "whsec_" + base64 of 32 random bytes.
[[nodiscard]] std::string GenerateWebhookSecret();
// True for "whsec_" + base64 that decodes to 24..64 bytes.
[[nodiscard]] bool IsValidWebhookSecret(std::string_view secret);

// "v1,<base64>"; nullopt when the secret is not a valid whsec_ secret.
[[nodiscard]] std::optional<std::string> StandardWebhooksSignature(std::string_view secret, std::string_view msg_id,
                                                                   int64_t timestamp_s, std::string_view body);
[[nodiscard]] std::string SeedSignature(std::string_view secret, std::string_view body);

// Verifies a webhook-signature header value (space-separated "v1,..." entries) against one secret.
[[nodiscard]] bool VerifyStandardWebhooksSignature(std::string_view secret, std::string_view msg_id,
                                                   int64_t timestamp_s, std::string_view body, std::string_view header);

}  // namespace hookd
