// Caches credential lookups (API key or portal token hash → account, id and portal access) so authenticating a request
// does not read the store each time. Entries live for a few seconds; revoking a key or deleting an account clears the
// cache, so in one process a revoked key stops working at once. Thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>

#include "common/mutex.h"
#include "domain/model.h"

namespace hookd {

struct CachedCredential {
  std::string account_id;
  std::string key_id;                  // the API key's id, or the portal session's
  std::optional<PortalAccess> portal;  // set for a portal session
  int64_t expires_at_ms = INT64_MAX;   // a portal session's own end
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
