// "category.*" matches every type whose name starts with "category." (so "task.*" matches "task.comment.added").
#include "domain/subscription.h"

namespace hookd {

bool MatchesAnyPattern(const std::vector<std::string>& patterns, std::string_view event_type) {
  for (const std::string& p : patterns) {
    if (p == "*" || p == event_type) return true;
    if (p.size() > 2 && p.compare(p.size() - 2, 2, ".*") == 0) {
      const std::string_view prefix(p.data(), p.size() - 1);  // "task."
      if (event_type.size() > prefix.size() && event_type.substr(0, prefix.size()) == prefix) return true;
    }
  }
  return false;
}

bool WebhookReceives(bool active, std::string_view webhook_environment, const std::vector<std::string>& patterns,
                     std::string_view event_environment, std::string_view event_type) {
  return active && webhook_environment == event_environment && MatchesAnyPattern(patterns, event_type);
}

}  // namespace hookd
