// AES-256-GCM via OpenSSL EVP; a fresh random nonce for every encryption.
#include "crypto/secret_cipher.h"

#include <openssl/evp.h>

#include <memory>
#include <mutex>
#include <stdexcept>

#include "crypto/encoding.h"
#include "crypto/signing.h"

namespace hookd {
namespace {

constexpr size_t kNonceSize = 12;
constexpr size_t kTagSize = 16;
constexpr size_t kIdSize = 16;
constexpr std::string_view kLegacyVersion = "v1:";
constexpr std::string_view kVersion = "v2:";

using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

std::string Seal(const std::string& key, std::string_view plaintext) {
  const std::string nonce = RandomBytes(kNonceSize);
  std::string out = nonce;
  out.resize(kNonceSize + plaintext.size() + kTagSize);
  CipherCtx ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  auto* dst = reinterpret_cast<unsigned char*>(out.data());
  int len = 0;
  EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, reinterpret_cast<const unsigned char*>(key.data()),
                     reinterpret_cast<const unsigned char*>(nonce.data()));
  EVP_EncryptUpdate(ctx.get(), dst + kNonceSize, &len, reinterpret_cast<const unsigned char*>(plaintext.data()),
                    static_cast<int>(plaintext.size()));
  EVP_EncryptFinal_ex(ctx.get(), dst + kNonceSize + len, &len);
  EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagSize, dst + kNonceSize + plaintext.size());
  return Base64Encode(out);
}

// Opens base64 `sealed` under `key`; nullopt when it does not authenticate.
std::optional<std::string> Open(const std::string& key, const std::string& raw) {
  const size_t text_size = raw.size() - kNonceSize - kTagSize;
  const auto* src = reinterpret_cast<const unsigned char*>(raw.data());
  std::string plain(text_size, '\0');
  CipherCtx ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  int len = 0;
  EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, reinterpret_cast<const unsigned char*>(key.data()), src);
  EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()), &len, src + kNonceSize,
                    static_cast<int>(text_size));
  EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagSize,
                      const_cast<unsigned char*>(src + kNonceSize + text_size));
  if (EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()) + len, &len) != 1) {
    return std::nullopt;
  }
  return plain;
}

}  // namespace

SecretCipher::SecretCipher(std::string key) {
  current_ = IdOf(key);
  AddKey(std::move(key));
}

std::string SecretCipher::CheckOf(std::string_view key) {
  return HexEncode(HmacSha256(key, "hookd master key check"));
}

std::string SecretCipher::IdOf(std::string_view key) {
  return CheckOf(key).substr(0, kIdSize);
}

std::string SecretCipher::SealedKeyId(std::string_view sealed) {
  if (!sealed.starts_with(kVersion) || sealed.size() < kVersion.size() + kIdSize + 1) return "";
  return std::string(sealed.substr(kVersion.size(), kIdSize));
}

void SecretCipher::AddKey(std::string key) {
  if (key.size() != 32) throw std::invalid_argument("master key must be 32 bytes");
  std::unique_lock lock(mu_);
  keys_.emplace(IdOf(key), std::move(key));
}

bool SecretCipher::UseKey(const std::string& id) {
  std::unique_lock lock(mu_);
  if (!keys_.contains(id)) return false;
  current_ = id;
  return true;
}

bool SecretCipher::HasKey(const std::string& id) const {
  std::shared_lock lock(mu_);
  return keys_.contains(id);
}

std::string SecretCipher::Key(const std::string& id) const {
  std::shared_lock lock(mu_);
  auto it = keys_.find(id);
  return it == keys_.end() ? "" : it->second;
}

std::string SecretCipher::CurrentId() const {
  std::shared_lock lock(mu_);
  return current_;
}

std::string SecretCipher::Encrypt(std::string_view plaintext) const {
  std::shared_lock lock(mu_);
  return std::string(kVersion) + current_ + ":" + Seal(keys_.at(current_), plaintext);
}

Result<std::string> SecretCipher::Decrypt(std::string_view sealed) const {
  const std::string id = SealedKeyId(sealed);
  std::string_view body;
  if (!id.empty() && sealed.size() > kVersion.size() + kIdSize && sealed[kVersion.size() + kIdSize] == ':') {
    body = sealed.substr(kVersion.size() + kIdSize + 1);
  } else if (sealed.starts_with(kLegacyVersion)) {
    body = sealed.substr(kLegacyVersion.size());
  } else {
    return Fail(Error::Internal("unknown secret encoding"));
  }
  auto raw = Base64Decode(body);
  if (!raw || raw->size() < kNonceSize + kTagSize) return Fail(Error::Internal("corrupt encrypted secret"));
  std::shared_lock lock(mu_);
  if (!id.empty()) {
    auto it = keys_.find(id);
    if (it == keys_.end()) {
      return Fail(Error::Internal("secret sealed under master key " + id + ", which this process does not hold"));
    }
    if (auto plain = Open(it->second, *raw)) return std::move(*plain);
  } else {
    for (const auto& [key_id, key] : keys_) {
      if (auto plain = Open(key, *raw)) return std::move(*plain);
    }
  }
  return Fail(Error::Internal("secret failed authentication (wrong master key?)"));
}

}  // namespace hookd
