// The event catalog: the built-in event types (the union of the seeds' events, SPEC §3) plus custom types an
// admin adds at run time. Thread-safe: readers take a snapshot under a shared lock.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/mutex.h"

namespace hookd {

struct EventType {
  std::string type;      // "task.completed"
  std::string category;  // "Task"
  std::string description;
  bool custom = false;
};

class EventCatalog {
 public:
  EventCatalog();

  [[nodiscard]] bool Contains(std::string_view type) const;
  // True when `pattern` is "*", an exact type, or "prefix.*" where some type starts with "prefix.".
  [[nodiscard]] bool IsValidSubscription(std::string_view pattern) const;
  [[nodiscard]] bool IsBuiltIn(std::string_view type) const;
  // All types, built-in first, in catalog order.
  [[nodiscard]] std::vector<EventType> All() const;

  // Replaces the set of custom types (loaded from the store).
  void SetCustomTypes(std::vector<EventType> custom);

 private:
  std::vector<EventType> builtin_;
  mutable SharedMutex mu_;
  std::vector<EventType> custom_ GUARDED_BY(mu_);
};

// Event type names: lowercase letters, digits, '_' and '.', 3..128 chars, at least one '.', no empty segment.
[[nodiscard]] bool IsWellFormedEventType(std::string_view type);

}  // namespace hookd
