// Small ASCII text helpers shared by the HTTP server, the outbound client and request validation: HTTP names are
// ASCII and case-insensitive, and a header value with a line break would split one header into two.
#pragma once

#include <string>
#include <string_view>

namespace hookd {

// `s` with A–Z turned to a–z; other bytes unchanged (no locale).
[[nodiscard]] std::string AsciiLower(std::string_view s);
void AsciiLowerInPlace(std::string& s);

// `s` without the spaces and tabs around it (RFC 9110's optional whitespace), nor a trailing CR or LF.
[[nodiscard]] std::string_view TrimHttpWhitespace(std::string_view s);

// True when `s` holds a CR or an LF.
[[nodiscard]] bool HasLineBreak(std::string_view s);

}  // namespace hookd
