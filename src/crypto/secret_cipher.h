// At-rest encryption of webhook secrets: AES-256-GCM under a master key, stored as
// "v2:<key id>:" + base64(12-byte nonce | ciphertext | 16-byte tag). The cipher is a key ring: it seals under its
// current key and opens anything sealed under a key it holds, which is how a master key is rotated without
// downtime (store/master_keys.h): every process learns the new key before any secret is sealed under it. Values
// written before key ids existed ("v1:" + base64) are opened by trying each key. Thread-safe.
#pragma once

#include <map>
#include <shared_mutex>
#include <string>
#include <string_view>

#include "common/result.h"

namespace hookd {

class SecretCipher {
 public:
  // `key` (exactly 32 bytes) is the first key and the current one.
  explicit SecretCipher(std::string key);
  SecretCipher(const SecretCipher&) = delete;
  SecretCipher& operator=(const SecretCipher&) = delete;

  // A key's check value: hex HMAC-SHA256 of a fixed text, which reveals nothing of the key. Its first 16 digits
  // are the key's id.
  [[nodiscard]] static std::string CheckOf(std::string_view key);
  [[nodiscard]] static std::string IdOf(std::string_view key);
  // The id of the key `sealed` was sealed under; empty for a "v1:" value (or one that is not sealed at all).
  [[nodiscard]] static std::string SealedKeyId(std::string_view sealed);

  // Adds a key to open with (no effect when held already). Throws std::invalid_argument unless 32 bytes.
  void AddKey(std::string key);
  // Makes the held key `id` the one to seal under; false when no such key is held.
  bool UseKey(const std::string& id);
  [[nodiscard]] bool HasKey(const std::string& id) const;
  // The held key `id` (raw bytes), or empty.
  [[nodiscard]] std::string Key(const std::string& id) const;
  [[nodiscard]] std::string CurrentId() const;

  [[nodiscard]] std::string Encrypt(std::string_view plaintext) const;
  [[nodiscard]] Result<std::string> Decrypt(std::string_view sealed) const;

 private:
  mutable std::shared_mutex mu_;
  std::map<std::string, std::string> keys_;  // id → key
  std::string current_;
};

}  // namespace hookd
