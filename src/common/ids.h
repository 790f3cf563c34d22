// Time-sortable unique ids: a type prefix ("evt_") followed by a 26-character ULID (48-bit millisecond time +
// 80 random bits, Crockford base32). Ids made in one process sort in creation order, even within a millisecond.
// Thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace hookd {

// A new id with the given prefix, e.g. NewId("wh_") -> "wh_01JD3Z...".
[[nodiscard]] std::string NewId(std::string_view prefix);

// The ULID for a given time and randomness; exposed for tests.
[[nodiscard]] std::string EncodeUlid(uint64_t time_ms, uint64_t random_hi16, uint64_t random_lo64);

// The 128-bit value of the ULID that ends `id` (its last 26 characters): ids of one prefix compare like their
// values. Characters outside the alphabet count as 0.
[[nodiscard]] unsigned __int128 UlidValue(std::string_view id);

// True when `id` is `prefix` followed by a well-formed ULID. Used to reject garbage ids and cursors early.
[[nodiscard]] bool IsWellFormedId(std::string_view id, std::string_view prefix);

}  // namespace hookd
