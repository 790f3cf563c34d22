// The built-in catalog, grouped by the categories named in SPEC §3.
#include "domain/catalog.h"

#include <mutex>

namespace hookd {
namespace {

struct Group {
  const char* category;
  std::vector<std::pair<const char*, const char*>> events;  // type, description
};

const std::vector<Group>& BuiltInGroups() {
  static const std::vector<Group> groups = {
      {"License",
       {{"license.created", "A license was created"},
        {"license.updated", "A license was updated"},
        {"license.deleted", "A license was deleted"},
        {"license.assigned", "A license was assigned to a user"},
        {"license.activated", "A license was activated"},
        {"license.deactivated", "A license was deactivated"},
        {"license.suspended", "A license was suspended"},
        {"license.expired", "A license expired"},
        {"license.revoked", "A license was revoked"},
        {"license.upgraded", "A license was upgraded"},
        {"license.downgraded", "A license was downgraded"},
        {"license.cancelled", "A license was cancelled"}}},
      {"Trial",
       {{"trial.started", "A trial started"},
        {"trial.extended", "A trial was extended"},
        {"trial.converted", "A trial converted to a paid plan"},
        {"trial.expired", "A trial expired"}}},
      {"Usage",
       {{"usage.limit_approached", "Usage reached 80% of a limit"}, {"usage.limit_reached", "Usage reached a limit"}}},
      {"Activation",
       {{"activation.created", "An activation was created"},
        {"activation.deleted", "An activation was deleted"},
        {"activation.failed", "An activation failed"}}},
      {"Product",
       {{"product.created", "A product was created"},
        {"product.updated", "A product was updated"},
        {"product.deleted", "A product was deleted"}}},
      {"Contract",
       {{"contract.created", "A contract was created"},
        {"contract.updated", "A contract was updated"},
        {"contract.deleted", "A contract was deleted"},
        {"contract.suspended", "A contract was suspended"}}},
      {"User",
       {{"user.created", "A user was created"},
        {"user.updated", "A user was updated"},
        {"user.deleted", "A user was deleted"},
        {"user.login", "A user signed in"},
        {"user.logout", "A user signed out"},
        {"user.password_changed", "A user changed their password"},
        {"user.email_verified", "A user verified their email address"},
        {"user.profile_updated", "A user updated their profile"},
        {"user.invited", "A user was invited"},
        {"user.joined", "An invited user joined"},
        {"user.removed", "A user was removed"},
        {"user.role.changed", "A user's role changed"}}},
      {"Team",
       {{"team.member_added", "A member was added to a team"},
        {"team.member_removed", "A member was removed from a team"}}},
      {"Organization",
       {{"organization.created", "An organization was created"},
        {"organization.updated", "An organization was updated"},
        {"organization.deleted", "An organization was deleted"}}},
      {"Workspace",
       {{"workspace.created", "A workspace was created"}, {"workspace.deleted", "A workspace was deleted"}}},
      {"Project",
       {{"project.created", "A project was created"},
        {"project.updated", "A project was updated"},
        {"project.deleted", "A project was deleted"},
        {"project.archived", "A project was archived"}}},
      {"Task",
       {{"task.created", "A task was created"},
        {"task.updated", "A task was updated"},
        {"task.completed", "A task was completed"},
        {"task.deleted", "A task was deleted"},
        {"task.assigned", "A task was assigned"},
        {"task.comment.added", "A comment was added to a task"}}},
      {"Content",
       {{"content.published", "Content was published"},
        {"content.failed", "Content failed to publish"},
        {"content.scheduled", "Content was scheduled"},
        {"content.deleted", "Content was deleted"}}},
      {"Subscription",
       {{"subscription.created", "A subscription was created"},
        {"subscription.updated", "A subscription was updated"},
        {"subscription.cancelled", "A subscription was cancelled"},
        {"subscription.canceled", "A subscription was canceled (US spelling)"},
        {"subscription.renewed", "A subscription renewed"},
        {"subscription.payment_failed", "A subscription payment failed"}}},
      {"Billing",
       {{"payment.succeeded", "A payment succeeded"},
        {"payment.failed", "A payment failed"},
        {"payment.refunded", "A payment was refunded"},
        {"invoice.created", "An invoice was created"},
        {"invoice.paid", "An invoice was paid"},
        {"invoice.overdue", "An invoice is overdue"}}},
      {"Device",
       {{"device.registered", "A device was registered"},
        {"device.updated", "A device was updated"},
        {"device.deleted", "A device was deleted"},
        {"device.online", "A device came online"},
        {"device.offline", "A device went offline"},
        {"device.alert", "A device raised an alert"}}},
      {"Monitoring",
       {{"alert.triggered", "A monitoring alert triggered"}, {"alert.resolved", "A monitoring alert resolved"}}},
      {"Analytics", {{"analytics.ready", "An analytics report is ready"}}},
      {"Webhook",
       {{"webhook.test", "A test event sent from the API or UI"},
        {"webhook.ping", "A reachability check sent when a webhook is created or its URL changes"}}},
      // Sent by hookd to operational webhooks only (domain/operational.h), never to a customer's.
      {"Operational",
       {{"endpoint.failing", "A customer's endpoint keeps failing: its circuit opened (at most once an hour)"},
        {"endpoint.disabled", "A customer's endpoint was disabled by hookd (410 Gone, or too many dead deliveries)"},
        {"endpoint.recovered", "A customer's endpoint succeeded again after failing or being re-enabled"},
        {"endpoint.circuit_opened", "A customer's endpoint's circuit opened: attempts to it wait out a cooldown"},
        {"endpoint.circuit_closed", "A customer's endpoint's circuit closed again after a successful probe"},
        {"endpoint.updated", "A customer's endpoint changed host or rotated its secret"},
        {"delivery.dead", "A delivery used up its retries"}}},
  };
  return groups;
}

bool MatchesPrefixWildcard(std::string_view pattern, std::string_view type) {
  // pattern is "prefix.*"
  const std::string_view prefix = pattern.substr(0, pattern.size() - 1);  // keeps the '.'
  return type.size() > prefix.size() && type.substr(0, prefix.size()) == prefix;
}

}  // namespace

EventCatalog::EventCatalog() {
  for (const Group& g : BuiltInGroups()) {
    for (const auto& [type, description] : g.events) builtin_.push_back({type, g.category, description, false});
  }
}

bool EventCatalog::Contains(std::string_view type) const {
  if (IsBuiltIn(type)) return true;
  ReaderLock lock(&mu_);
  for (const EventType& t : custom_) {
    if (t.type == type) return true;
  }
  return false;
}

bool EventCatalog::IsBuiltIn(std::string_view type) const {
  for (const EventType& t : builtin_) {
    if (t.type == type) return true;
  }
  return false;
}

bool EventCatalog::IsValidSubscription(std::string_view pattern) const {
  if (pattern == "*") return true;
  if (pattern.size() > 2 && pattern.substr(pattern.size() - 2) == ".*") {
    for (const EventType& t : All()) {
      if (MatchesPrefixWildcard(pattern, t.type)) return true;
    }
    return false;
  }
  return Contains(pattern);
}

std::vector<EventType> EventCatalog::All() const {
  std::vector<EventType> all = builtin_;
  ReaderLock lock(&mu_);
  all.insert(all.end(), custom_.begin(), custom_.end());
  return all;
}

void EventCatalog::SetCustomTypes(std::vector<EventType> custom) {
  for (EventType& t : custom) t.custom = true;
  WriterLock lock(&mu_);
  custom_ = std::move(custom);
}

bool IsWellFormedEventType(std::string_view type) {
  if (type.size() < 3 || type.size() > 128 || type.front() == '.' || type.back() == '.') return false;
  bool has_dot = false;
  char prev = 0;
  for (char c : type) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
    if (!ok || (c == '.' && prev == '.')) return false;
    has_dot |= c == '.';
    prev = c;
  }
  return has_dot;
}

}  // namespace hookd
