// Caches API-key lookups (key hash → account and key id) so authenticating a request does not read the store
// each time. Entries live for a few seconds; revoking a key or deleting an account clears the cache, so in one
// process a revoked key stops working at once. Thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>

#include "common/mutex.h"

namespace hookd {

struct CachedCredential {
  std::string account_id;
  std::string key_id;
};

class CredentialCache {
 public:
  explicit CredentialCache(int64_t ttl_ms = 5000) : ttl_ms_(ttl_ms) {}

  [[nodiscard]] std::optional<CachedCredential> Find(const std::string& key_hash, int64_t now_ms);
  void Put(const std::string& key_hash, CachedCredential credential, int64_t now_ms);
  void Clear();

 private:
  struct Entry {
    CachedCredential credential;
    int64_t expires_ms;
  };
  int64_t ttl_ms_;
  Mutex mu_;
  std::unordered_map<std::string, Entry> entries_ GUARDED_BY(mu_);
};

}  // namespace hookd
