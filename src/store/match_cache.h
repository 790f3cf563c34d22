// What event matching needs of an account's webhooks, cached per account on the thread that accepts events (the
// stores' writer): read once, then every event of the account is matched in memory (domain/subscription.h). Both
// stores forget an account's entry when its webhooks change, and the whole cache past 10,000 accounts. Not
// thread-safe: one writer thread owns it.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "domain/model.h"

namespace hookd {

class MatchCache {
 public:
  // A webhook as matching sees it.
  struct Target {
    std::string id;
    bool active = false;
    std::string environment;
    std::vector<std::string> events;
  };

  // The account's webhooks, or null when they must be read (then Put).
  [[nodiscard]] const std::vector<Target>* Find(const std::string& account_id) const;
  const std::vector<Target>& Put(const std::string& account_id, std::vector<Target> targets);
  void Forget(const std::string& account_id) { by_account_.erase(account_id); }
  void Clear() { by_account_.clear(); }
  // Forgets everything when webhooks changed since the cache was filled: `generation` counts changes made by any
  // process (read before the webhooks are, so a cache filled from older rows is dropped at the next look).
  void Follow(uint64_t generation);

  // The ids of `targets` that receive `event`, in the order read.
  [[nodiscard]] static std::vector<std::string> Receivers(const std::vector<Target>& targets, const Event& event);

 private:
  std::unordered_map<std::string, std::vector<Target>> by_account_;
  uint64_t generation_ = 0;
};

}  // namespace hookd
