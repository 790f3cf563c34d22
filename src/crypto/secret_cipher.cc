// AES-256-GCM via OpenSSL EVP; a fresh random nonce for every encryption.
#include "crypto/secret_cipher.h"

#include <openssl/evp.h>

#include <memory>
#include <stdexcept>

#include "crypto/encoding.h"

namespace hookd {
namespace {

constexpr size_t kNonceSize = 12;
constexpr size_t kTagSize = 16;
constexpr std::string_view kVersion = "v1:";

using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

}  // namespace

SecretCipher::SecretCipher(std::string key) : key_(std::move(key)) {
  if (key_.size() != 32) throw std::invalid_argument("master key must be 32 bytes");
}

std::string SecretCipher::Encrypt(std::string_view plaintext) const {
  const std::string nonce = RandomBytes(kNonceSize);
  std::string out = nonce;
  out.resize(kNonceSize + plaintext.size() + kTagSize);
  CipherCtx ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  auto* dst = reinterpret_cast<unsigned char*>(out.data());
  int len = 0;
  EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, reinterpret_cast<const unsigned char*>(key_.data()),
                     reinterpret_cast<const unsigned char*>(nonce.data()));
  EVP_EncryptUpdate(ctx.get(), dst + kNonceSize, &len, reinterpret_cast<const unsigned char*>(plaintext.data()),
                    static_cast<int>(plaintext.size()));
  EVP_EncryptFinal_ex(ctx.get(), dst + kNonceSize + len, &len);
  EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagSize, dst + kNonceSize + plaintext.size());
  return std::string(kVersion) + Base64Encode(out);
}

Result<std::string> SecretCipher::Decrypt(std::string_view sealed) const {
  if (sealed.substr(0, kVersion.size()) != kVersion) return Fail(Error::Internal("unknown secret encoding"));
  auto raw = Base64Decode(sealed.substr(kVersion.size()));
  if (!raw || raw->size() < kNonceSize + kTagSize) return Fail(Error::Internal("corrupt encrypted secret"));
  const size_t text_size = raw->size() - kNonceSize - kTagSize;
  auto* src = reinterpret_cast<unsigned char*>(raw->data());
  std::string plain(text_size, '\0');
  CipherCtx ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  int len = 0;
  EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, reinterpret_cast<const unsigned char*>(key_.data()), src);
  EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()), &len, src + kNonceSize,
                    static_cast<int>(text_size));
  EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagSize, src + kNonceSize + text_size);
  if (EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()) + len, &len) != 1) {
    return Fail(Error::Internal("secret failed authentication (wrong master key?)"));
  }
  return plain;
}

}  // namespace hookd
