// At-rest encryption of webhook secrets: AES-256-GCM under the master key, stored as
// base64(12-byte nonce | ciphertext | 16-byte tag) with a "v1:" version prefix. Thread-safe (immutable after
// construction).
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"

namespace hookd {

class SecretCipher {
 public:
  // `key` must be exactly 32 bytes.
  explicit SecretCipher(std::string key);

  [[nodiscard]] std::string Encrypt(std::string_view plaintext) const;
  [[nodiscard]] Result<std::string> Decrypt(std::string_view sealed) const;

 private:
  std::string key_;
};

}  // namespace hookd
