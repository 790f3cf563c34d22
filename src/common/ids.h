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
// values, and two ids of one prefix are equal when their values are. Characters outside the alphabet count as 0.
using UlidKey = unsigned __int128;
[[nodiscard]] UlidKey UlidValue(std::string_view id);

// Hashes a ULID value by folding its halves; the low 64 bits are random already.
struct UlidKeyHash {
  size_t operator()(UlidKey key) const noexcept {
    return static_cast<size_t>(static_cast<uint64_t>(key) ^ static_cast<uint64_t>(key >> 64));
  }
};

// The lowest id of `prefix` made at `time_ms` (or later): ids sort by creation time, so a time bound is also a bound
// on ids, which the primary keys can serve.
[[nodiscard]] std::string LowestIdAt(std::string_view prefix, int64_t time_ms);

// True when `id` is `prefix` followed by a well-formed ULID. Used to reject garbage ids and cursors early.
[[nodiscard]] bool IsWellFormedId(std::string_view id, std::string_view prefix);

}  // namespace hookd
