// Audit records: naming a webhook's change, redacting its secrets, and the canonical form the chain hash covers.
#include "domain/audit.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "common/time_util.h"
#include "domain/webhook_rules.h"

namespace hookd {
namespace {

json::value Sorted(const json::value& v) {
  if (const json::object* o = v.if_object()) {
    std::vector<const json::key_value_pair*> members;
    for (const auto& member : *o) members.push_back(&member);
    std::sort(members.begin(), members.end(), [](auto* a, auto* b) { return a->key() < b->key(); });
    json::object sorted;
    for (const auto* member : members) sorted[member->key()] = Sorted(member->value());
    return sorted;
  }
  if (const json::array* a = v.if_array()) {
    json::array sorted;
    for (const json::value& item : *a) sorted.push_back(Sorted(item));
    return sorted;
  }
  return v;
}

json::value NullIfEmpty(const std::string& s) {
  return s.empty() ? json::value(nullptr) : json::value(s);
}

// Each field of `after` whose value differs from `before`'s (or that `before` lacks), as {"before", "after"}.
json::object ChangedFields(const json::object& before, const json::object& after) {
  json::object changes;
  for (const auto& [field, value] : after) {
    const json::value* was = before.if_contains(field);
    if (!was || *was != value) {
      changes[field] = json::object{{"before", was ? *was : json::value(nullptr)}, {"after", value}};
    }
  }
  return changes;
}

}  // namespace

const char* ToString(ActorType t) {
  switch (t) {
    case ActorType::kApiKey:
      return "api_key";
    case ActorType::kPortalSession:
      return "portal_session";
    case ActorType::kAdmin:
      return "admin";
    case ActorType::kSystem:
      return "system";
  }
  return "system";
}

std::optional<ActorType> ParseActorType(std::string_view s) {
  for (ActorType t : {ActorType::kApiKey, ActorType::kPortalSession, ActorType::kAdmin, ActorType::kSystem}) {
    if (s == ToString(t)) return t;
  }
  return std::nullopt;
}

bool IsAuditAction(std::string_view action) {
  static constexpr std::string_view kActions[] = {
      "account.created",        "account.updated",
      "account.deleted",        "api_key.created",
      "api_key.revoked",        "webhook.created",
      "webhook.updated",        "webhook.deleted",
      "webhook.enabled",        "webhook.disabled",
      "webhook.auto_disabled",  "webhook.secret_revealed",
      "webhook.secret_rotated", "webhook.verified",
      "webhook.circuit_opened", "webhook.circuit_closed",
      "event_type.created",     "event_type.deleted",
      "portal_session.created", "portal_session.revoked",
      "delivery.retried",       "webhook.deliveries_retried",
      "webhook.replayed",       "event.replayed",
  };
  return std::find(std::begin(kActions), std::end(kActions), action) != std::end(kActions);
}

AuditRecord MakeAuditRecord(const Actor& actor, std::string account_id, std::string action, std::string target_type,
                            std::string target_id) {
  AuditRecord r;
  r.actor = actor;
  r.account_id = std::move(account_id);
  r.action = std::move(action);
  r.target_type = std::move(target_type);
  r.target_id = std::move(target_id);
  return r;
}

json::object AuditedWebhookFields(const Webhook& w) {
  json::object fields = WebhookSettingsJson(w, kRedacted);  // an extra header may carry a credential
  fields["secret"] = kRedacted;
  fields["tls"] = w.tls.empty() ? json::value(nullptr) : json::value(kRedacted);
  return fields;
}

std::optional<AuditRecord> WebhookChangeRecord(const Actor& actor, const Webhook& before, const Webhook& after) {
  const json::object was = AuditedWebhookFields(before);
  const json::object now = AuditedWebhookFields(after);
  json::object changes = ChangedFields(was, now);
  // A header's value is redacted on both sides: a changed value shows as the header, changed.
  if (!changes.contains("headers") && before.headers != after.headers) {
    changes["headers"] = json::object{{"before", was.at("headers")}, {"after", now.at("headers")}};
  }
  if (!changes.contains("tls") && before.tls != after.tls) {  // credentials replaced: redacted on both sides
    changes["tls"] = json::object{{"before", was.at("tls")}, {"after", now.at("tls")}};
  }
  const bool secret_changed = before.secret != after.secret;
  if (secret_changed) changes["secret"] = json::object{{"before", kRedacted}, {"after", kRedacted}};
  if (changes.empty()) return std::nullopt;
  std::string action = "webhook.updated";
  if (changes.size() == 1 && changes.contains("active")) action = after.active ? "webhook.enabled" : "webhook.disabled";
  if (changes.size() == 1 && secret_changed) action = "webhook.secret_rotated";
  AuditRecord r = MakeAuditRecord(actor, after.account_id, std::move(action), "webhook", after.id);
  r.changes = std::move(changes);
  return r;
}

AuditRecord WebhookCreatedRecord(const Actor& actor, const Webhook& w) {
  return CreatedRecord(actor, w.account_id, "webhook.created", "webhook", w.id, AuditedWebhookFields(w));
}

AuditRecord WebhookDeletedRecord(const Actor& actor, const Webhook& w) {
  return DeletedRecord(actor, w.account_id, "webhook.deleted", "webhook", w.id, AuditedWebhookFields(w));
}

AuditRecord WebhookVerifiedRecord(const Actor& actor, const Webhook& w) {
  AuditRecord record = MakeAuditRecord(actor, w.account_id, "webhook.verified", "webhook", w.id);
  record.changes["verified"] = json::object{{"before", false}, {"after", true}};
  return record;
}

Result<bool> VerificationApplies(const Webhook& stored, const std::string& url) {
  if (stored.url != url) {
    return Fail(Error::Conflict("url_changed", "the webhook's URL changed during the handshake"));
  }
  return !stored.verified;
}

json::object AuditedAccountFields(const Account& a) {
  return {{"name", a.name}, {"email", a.email}};
}

json::object AuditedApiKeyFields(const ApiKey& k) {
  return {{"name", k.name}, {"prefix", k.prefix}};
}

json::object AuditedPortalSessionFields(const PortalSession& s) {
  return {{"access", ToString(s.access)}, {"return_url", s.return_url}, {"expires_at", FormatRfc3339(s.expires_at_ms)}};
}

json::object AuditedEventTypeFields(const EventType& t) {
  return {{"type", t.type}, {"category", t.category}, {"description", t.description}};
}

AuditRecord CreatedRecord(const Actor& actor, std::string account_id, std::string action, std::string type,
                          std::string id, const json::object& fields) {
  AuditRecord r = MakeAuditRecord(actor, std::move(account_id), std::move(action), std::move(type), std::move(id));
  r.changes = AllFieldsChanged(fields, true);
  return r;
}

AuditRecord DeletedRecord(const Actor& actor, std::string account_id, std::string action, std::string type,
                          std::string id, const json::object& fields) {
  AuditRecord r = MakeAuditRecord(actor, std::move(account_id), std::move(action), std::move(type), std::move(id));
  r.changes = AllFieldsChanged(fields, false);
  return r;
}

std::optional<AuditRecord> UpdatedRecord(const Actor& actor, std::string account_id, std::string action,
                                         std::string type, std::string id, const json::object& before,
                                         const json::object& after) {
  json::object changes = ChangedFields(before, after);
  if (changes.empty()) return std::nullopt;
  AuditRecord r = MakeAuditRecord(actor, std::move(account_id), std::move(action), std::move(type), std::move(id));
  r.changes = std::move(changes);
  return r;
}

AuditRecord DeliveryRetriedRecord(const Actor& actor, std::string account_id, std::string delivery_id,
                                  DeliveryStatus was) {
  AuditRecord r = MakeAuditRecord(actor, std::move(account_id), "delivery.retried", "delivery", std::move(delivery_id));
  r.changes["status"] = json::object{{"before", ToString(was)}, {"after", ToString(DeliveryStatus::kPending)}};
  return r;
}

AuditRecord AutoDisabledRecord(int64_t at_ms, std::string account_id, std::string webhook_id, WebhookStatus was,
                               const std::string& reason) {
  AuditRecord r = MakeAuditRecord(Actor::System(at_ms), std::move(account_id), "webhook.auto_disabled", "webhook",
                                  std::move(webhook_id));
  r.changes["active"] = json::object{{"before", true}, {"after", false}};
  r.changes["status"] = json::object{{"before", ToString(was)}, {"after", ToString(WebhookStatus::kDisabled)}};
  r.changes["disabled_reason"] = json::object{{"before", nullptr}, {"after", reason}};
  return r;
}

std::optional<AuditRecord> CircuitChangeRecord(int64_t at_ms, std::string account_id, std::string webhook_id,
                                               CircuitState was, CircuitState now) {
  const char* action = nullptr;
  if (now == CircuitState::kOpen && was == CircuitState::kClosed) action = "webhook.circuit_opened";
  if (now == CircuitState::kClosed && was != CircuitState::kClosed) action = "webhook.circuit_closed";
  if (!action) return std::nullopt;
  AuditRecord r =
      MakeAuditRecord(Actor::System(at_ms), std::move(account_id), action, "webhook", std::move(webhook_id));
  r.changes["circuit"] = json::object{{"before", ToString(was)}, {"after", ToString(now)}};
  return r;
}

Webhook WebhookAsUpdated(const Webhook& before, const Webhook& update, bool sets_activity) {
  Webhook after = update;
  if (!sets_activity) {
    after.active = before.active;
    after.status = before.status;
    after.disabled_reason = before.disabled_reason;
    after.circuit = before.circuit;
  }
  return after;
}

json::object AllFieldsChanged(const json::object& fields, bool created) {
  json::object changes;
  for (const auto& [field, value] : fields) {
    changes[field] = created ? json::object{{"before", nullptr}, {"after", value}}
                             : json::object{{"before", value}, {"after", nullptr}};
  }
  return changes;
}

json::object AuditRecordJson(const AuditRecord& r, bool with_hash) {
  json::object o{
      {"id", r.id},
      {"at", FormatRfc3339(r.actor.at_ms)},
      {"actor", json::object{{"type", ToString(r.actor.type)}, {"id", NullIfEmpty(r.actor.id)}}},
      {"account_id", NullIfEmpty(r.account_id)},
      {"action", r.action},
      {"target", json::object{{"type", r.target_type}, {"id", r.target_id}}},
      {"changes", r.changes},
      {"ip", NullIfEmpty(r.actor.ip)},
      {"request_id", NullIfEmpty(r.actor.request_id)},
      {"prev_hash", r.prev_hash},
  };
  if (with_hash) o["hash"] = r.hash;
  return o;
}

std::string CanonicalAuditJson(const AuditRecord& r) {
  return SerializeJson(Sorted(AuditRecordJson(r, false)));
}

}  // namespace hookd
