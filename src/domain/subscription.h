// Subscription matching: which webhooks receive an event. Pure.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace hookd {

// True when one of `patterns` ("*", "category.*", or an exact type) matches `event_type`.
[[nodiscard]] bool MatchesAnyPattern(const std::vector<std::string>& patterns, std::string_view event_type);

// The whole rule: an active webhook of the event's environment whose patterns match the type.
[[nodiscard]] bool WebhookReceives(bool active, std::string_view webhook_environment,
                                   const std::vector<std::string>& patterns, std::string_view event_environment,
                                   std::string_view event_type);

}  // namespace hookd
