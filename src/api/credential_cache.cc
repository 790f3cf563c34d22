// A bounded map: when it grows past its cap it is simply emptied (entries are cheap to re-read).
#include "api/credential_cache.h"

namespace hookd {
namespace {
constexpr size_t kMaxEntries = 100'000;
}

std::optional<CachedCredential> CredentialCache::Find(const std::string& key_hash, int64_t now_ms) {
  MutexLock lock(&mu_);
  auto it = entries_.find(key_hash);
  if (it == entries_.end() || it->second.expires_ms <= now_ms) return std::nullopt;
  return it->second.credential;
}

void CredentialCache::Put(const std::string& key_hash, CachedCredential credential, int64_t now_ms) {
  MutexLock lock(&mu_);
  if (entries_.size() >= kMaxEntries) entries_.clear();
  entries_[key_hash] = Entry{std::move(credential), now_ms + ttl_ms_};
}

void CredentialCache::Clear() {
  MutexLock lock(&mu_);
  entries_.clear();
}

}  // namespace hookd
