// Byte encodings used on the wire and at rest: standard base64 (with padding), base64url and lowercase hex. Pure.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace hookd {

[[nodiscard]] std::string Base64Encode(std::string_view bytes);
// Strict standard-alphabet base64 with padding; nullopt on any other input.
[[nodiscard]] std::optional<std::string> Base64Decode(std::string_view text);
// Unpadded base64url (RFC 4648 §5), as JOSE writes keys and handshakes write challenges.
[[nodiscard]] std::string Base64UrlEncode(std::string_view bytes);
[[nodiscard]] std::string HexEncode(std::string_view bytes);

// `n` cryptographically random bytes.
[[nodiscard]] std::string RandomBytes(size_t n);

// Equality whose running time does not depend on where the inputs differ.
[[nodiscard]] bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace hookd
