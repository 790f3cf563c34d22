// UTF-8 validity: every response hookd writes is valid UTF-8 JSON, including those that echo a request's path,
// query or a receiver's response body, which may hold any bytes. Pure and thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace hookd {

// True when `s` is well-formed UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF).
[[nodiscard]] bool IsValidUtf8(std::string_view s);

// `s` with each ill-formed sequence replaced by U+FFFD, the way the Unicode standard recommends (one replacement
// per maximal ill-formed subpart); `s` itself when it is valid.
[[nodiscard]] std::string ToValidUtf8(std::string_view s);

}  // namespace hookd
