// The per-account cache of webhooks for event matching, bounded in size.
#include "store/match_cache.h"

#include "domain/subscription.h"

namespace hookd {
namespace {

constexpr size_t kMaxAccounts = 10'000;

}  // namespace

const std::vector<MatchCache::Target>* MatchCache::Find(const std::string& account_id) const {
  auto it = by_account_.find(account_id);
  return it == by_account_.end() ? nullptr : &it->second;
}

const std::vector<MatchCache::Target>& MatchCache::Put(const std::string& account_id, std::vector<Target> targets) {
  if (by_account_.size() >= kMaxAccounts) by_account_.clear();  // bound memory; rebuilt on demand
  return by_account_.insert_or_assign(account_id, std::move(targets)).first->second;
}

void MatchCache::Follow(uint64_t generation) {
  if (generation == generation_) return;
  by_account_.clear();
  generation_ = generation;
}

std::vector<std::string> MatchCache::Receivers(const std::vector<Target>& targets, const Event& event) {
  std::vector<std::string> out;
  for (const Target& t : targets) {
    if (WebhookReceives(t.active, t.environment, t.events, event.environment, event.type)) out.push_back(t.id);
  }
  return out;
}

}  // namespace hookd
