// ULID generation with per-process monotonicity: within one millisecond the random part is incremented, so
// ids sort strictly by creation order.
#include "common/ids.h"

#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <chrono>

#include "common/mutex.h"

namespace hookd {
namespace {

constexpr char kCrockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

struct UlidState {
  Mutex mu;
  uint64_t last_ms GUARDED_BY(mu) = 0;
  uint64_t hi16 GUARDED_BY(mu) = 0;  // upper 16 of the 80 random bits
  uint64_t lo64 GUARDED_BY(mu) = 0;  // lower 64 of the 80 random bits
};

UlidState& State() {
  static UlidState state;
  return state;
}

}  // namespace

std::string EncodeUlid(uint64_t time_ms, uint64_t random_hi16, uint64_t random_lo64) {
  // 128 bits: 48 time | 16 hi | 64 lo, written as 26 base32 digits (the first carries only 3 bits).
  unsigned __int128 value = (static_cast<unsigned __int128>(time_ms & 0xFFFFFFFFFFFFULL) << 80) |
                            (static_cast<unsigned __int128>(random_hi16 & 0xFFFF) << 64) | random_lo64;
  std::string out(26, '0');
  for (int i = 25; i >= 0; --i) {
    out[i] = kCrockford[static_cast<unsigned>(value & 31)];
    value >>= 5;
  }
  return out;
}

std::string NewId(std::string_view prefix) {
  const uint64_t now = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
  uint64_t ms, hi, lo;
  {
    UlidState& s = State();
    MutexLock lock(&s.mu);
    if (now > s.last_ms) {
      unsigned char rnd[10];
      RAND_bytes(rnd, sizeof rnd);
      s.hi16 = (uint64_t{rnd[0]} << 8 | rnd[1]) & 0x7FFF;  // top bit clear: room to increment
      s.lo64 = 0;
      for (int i = 2; i < 10; ++i) s.lo64 = (s.lo64 << 8) | rnd[i];
      s.last_ms = now;
    } else if (++s.lo64 == 0) {
      ++s.hi16;
    }
    ms = s.last_ms;
    hi = s.hi16;
    lo = s.lo64;
  }
  std::string id(prefix);
  id += EncodeUlid(ms, hi, lo);
  return id;
}

UlidKey UlidValue(std::string_view id) {
  static const auto digit_of = [] {
    std::array<uint8_t, 256> table{};
    for (uint8_t i = 0; i < 32; ++i) table[static_cast<unsigned char>(kCrockford[i])] = i;
    return table;
  }();
  UlidKey value = 0;
  for (char c : id.substr(id.size() > 26 ? id.size() - 26 : 0))
    value = (value << 5) | digit_of[static_cast<unsigned char>(c)];
  return value;
}

bool IsWellFormedId(std::string_view id, std::string_view prefix) {
  if (id.size() != prefix.size() + 26 || id.substr(0, prefix.size()) != prefix) return false;
  for (char c : id.substr(prefix.size())) {
    bool ok = false;
    for (const char* p = kCrockford; *p; ++p) ok |= (*p == c);
    if (!ok) return false;
  }
  return true;
}

std::string LowestIdAt(std::string_view prefix, int64_t time_ms) {
  return std::string(prefix) + EncodeUlid(static_cast<uint64_t>(std::max<int64_t>(0, time_ms)), 0, 0);
}

}  // namespace hookd
