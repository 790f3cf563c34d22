// Webhooks map to a fixed set of shards (SPEC §6): a worker that holds a shard's lease runs every delivery of the
// webhooks in it, so their rate limits, order and circuits have one owner; how workers share the shards. Pure.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

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

// A shard this process runs. Every outcome of an attempt made under it carries its fencing epoch, and the store
// refuses one whose epoch has moved on. Epoch 0 is the one process that owns every shard, which nothing fences.
struct ShardLease {
  int shard = 0;
  int64_t epoch = 0;
  // When it ends on this process's monotonic clock (Clock::SteadyMs), conservatively.
  int64_t expires_steady_ms = 0;
  // Another process may have been sending for this shard a moment ago (it was taken over): a webhook's first rate
  // token is then earned, never assumed.
  bool taken_over = false;
};

// How many shards each of `live_workers` workers should hold: an even split, rounded up.
[[nodiscard]] constexpr int FairShare(int live_workers) {
  return live_workers < 1 ? kShardCount : (kShardCount + live_workers - 1) / live_workers;
}

// Of `held` (ascending), those beyond `share`: the highest go back, so that workers agree on which without talking.
[[nodiscard]] std::vector<int> SurplusShards(const std::vector<int>& held, int share);

}  // namespace hookd
