// Webhooks map to a fixed set of shards (SPEC §6): a worker that holds a shard's lease runs every delivery of the
// webhooks in it, so their rate limits, order and circuits have one owner. Pure.
#pragma once

#include <cstdint>
#include <string_view>

namespace hookd {

// The number of shards. Fixed: changing it moves webhooks between shards, which the leases cannot follow (the
// PostgreSQL migration that creates `shard_leases` makes this many rows).
inline constexpr int kShardCount = 256;

// The shard of a webhook: FNV-1a of its id, so every process and every version agrees.
[[nodiscard]] constexpr int ShardOf(std::string_view webhook_id) {
  uint64_t h = 14695981039346656037ull;
  for (char c : webhook_id) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  return static_cast<int>(h % kShardCount);
}

}  // namespace hookd
