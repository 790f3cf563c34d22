// How a webhook signs (SPEC §10): the kind of its secret says it, so a rotation from one scheme to the other is an
// ordinary rotation and both signatures go out during its overlap. "whsec_…" secrets sign with HMAC-SHA256
// (Standard Webhooks "v1", crypto/signing.h); "whsk_…" keys with Ed25519 ("v1a", crypto/ed25519.h). Pure.
#pragma once

#include <string_view>

namespace hookd {

inline constexpr std::string_view kHmacSecretPrefix = "whsec_";
inline constexpr std::string_view kEd25519SecretPrefix = "whsk_";

inline constexpr std::string_view kSigningHmacSha256 = "hmac-sha256";
inline constexpr std::string_view kSigningEd25519 = "ed25519";

// The `signing` value of a webhook with this secret.
[[nodiscard]] inline std::string_view SigningSchemeOf(std::string_view secret) {
  return secret.substr(0, kEd25519SecretPrefix.size()) == kEd25519SecretPrefix ? kSigningEd25519 : kSigningHmacSha256;
}

}  // namespace hookd
