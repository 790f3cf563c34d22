// The audit trail's nouns and rules (SPEC §9): who made a change and from where (Actor), the record a change writes
// (AuditRecord), how a webhook's change is named and described with its secrets redacted, and the record's canonical
// form, which its chain hash covers. Pure; the chain itself is appended by the store (store/audit_chain.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/json.h"
#include "domain/catalog.h"
#include "domain/model.h"

namespace hookd {

enum class ActorType { kApiKey, kPortalSession, kAdmin, kSystem };
[[nodiscard]] const char* ToString(ActorType t);
[[nodiscard]] std::optional<ActorType> ParseActorType(std::string_view s);

// Who makes a change, when, and from where. Every change the store writes names one.
struct Actor {
  ActorType type = ActorType::kSystem;
  std::string id;  // "key_…" or "ps_…"; empty for the admin and hookd itself
  int64_t at_ms = 0;
  std::string ip;          // the client's address; empty for hookd itself
  std::string request_id;  // the request's X-Request-Id; empty for hookd itself

  [[nodiscard]] static Actor System(int64_t at_ms) { return Actor{ActorType::kSystem, "", at_ms, "", ""}; }
};

// One audit record. `seq` orders an account's chain; `prev_hash` is the hash of the record before it in the
// chain (kChainStart for the first), `hash` the SHA-256 of `prev_hash` followed by the canonical form.
struct AuditRecord {
  std::string id;          // "aud_…"
  std::string account_id;  // empty for a change of no account (a custom event type): the chain of the admin
  int64_t seq = 0;
  Actor actor;
  std::string action;  // "webhook.updated"
  std::string target_type;
  std::string target_id;
  json::object changes;  // {"<field>": {"before": …, "after": …}}
  std::string prev_hash;
  std::string hash;
};

// The link before an account's first record: 64 zeros.
inline constexpr std::string_view kChainStart = "0000000000000000000000000000000000000000000000000000000000000000";

// What a secret becomes in a record.
inline constexpr std::string_view kRedacted = "[redacted]";

// Whether `action` is one of the actions of SPEC §9.
[[nodiscard]] bool IsAuditAction(std::string_view action);

// A record of `action` on target (`type`, `id`) in `account_id` by `actor`, with no changes yet.
[[nodiscard]] AuditRecord MakeAuditRecord(const Actor& actor, std::string account_id, std::string action,
                                          std::string target_type, std::string target_id);

// The fields of a webhook a record shows (secrets and header values redacted), as {"field": value}.
[[nodiscard]] json::object AuditedWebhookFields(const Webhook& w);

// The record of a webhook changed from `before` to `after`: `webhook.enabled` / `webhook.disabled` when only
// `active` changed, `webhook.secret_rotated` when only the secrets did, else `webhook.updated`; `changes` holds
// each changed field. Nullopt when nothing a record shows changed.
[[nodiscard]] std::optional<AuditRecord> WebhookChangeRecord(const Actor& actor, const Webhook& before,
                                                             const Webhook& after);

// The records of a webhook created or deleted: every field a record shows, with `before` or `after` null.
[[nodiscard]] AuditRecord WebhookCreatedRecord(const Actor& actor, const Webhook& w);
[[nodiscard]] AuditRecord WebhookDeletedRecord(const Actor& actor, const Webhook& w);
// The endpoint answered the ownership handshake at `w.url` (SPEC §10).
[[nodiscard]] AuditRecord WebhookVerifiedRecord(const Actor& actor, const Webhook& w);
// Whether marking `stored` verified after a handshake to `url` writes anything: true to write, false when it
// already is verified; 409 url_changed when the webhook's URL is no longer the one the handshake went to.
[[nodiscard]] Result<bool> VerificationApplies(const Webhook& stored, const std::string& url);

// The other objects a record describes, as {"field": value} (an API key by its name and prefix, never the key).
[[nodiscard]] json::object AuditedAccountFields(const Account& a);
[[nodiscard]] json::object AuditedApiKeyFields(const ApiKey& k);
[[nodiscard]] json::object AuditedPortalSessionFields(const PortalSession& s);
[[nodiscard]] json::object AuditedEventTypeFields(const EventType& t);

// The record of `action` on an object created (`after` its fields) or deleted (`before` them): every field, the
// other side null. An empty `fields` writes no changes (a revocation names its target only). A bulk retry or a
// replay is recorded as created, its `fields` what it was asked (its range).
[[nodiscard]] AuditRecord CreatedRecord(const Actor& actor, std::string account_id, std::string action,
                                        std::string type, std::string id, const json::object& fields);
[[nodiscard]] AuditRecord DeletedRecord(const Actor& actor, std::string account_id, std::string action,
                                        std::string type, std::string id, const json::object& fields);
// The record of an object whose fields went from `before` to `after`: each changed field; nullopt when none did.
[[nodiscard]] std::optional<AuditRecord> UpdatedRecord(const Actor& actor, std::string account_id, std::string action,
                                                       std::string type, std::string id, const json::object& before,
                                                       const json::object& after);

// What a stored webhook `before` becomes when `update` is written: with `sets_activity` false, the stored activity
// and health stay (store/store.h, UpdateWebhook).
[[nodiscard]] Webhook WebhookAsUpdated(const Webhook& before, const Webhook& update, bool sets_activity);

// `changes` of a created or deleted object: every field, with `before` or `after` null.
[[nodiscard]] json::object AllFieldsChanged(const json::object& fields, bool created);

// The record of a delivery reopened by hand (`delivery.retried`): its status, from `was` to pending.
[[nodiscard]] AuditRecord DeliveryRetriedRecord(const Actor& actor, std::string account_id, std::string delivery_id,
                                                DeliveryStatus was);

// The records hookd writes itself (actor `system`): a webhook disabled by the engine (`webhook.auto_disabled`,
// from status `was`), and its circuit changed (`webhook.circuit_opened` / `webhook.circuit_closed`; nullopt for
// a change to or from half-open, which is neither).
[[nodiscard]] AuditRecord AutoDisabledRecord(int64_t at_ms, std::string account_id, std::string webhook_id,
                                             WebhookStatus was, const std::string& reason);
[[nodiscard]] std::optional<AuditRecord> CircuitChangeRecord(int64_t at_ms, std::string account_id,
                                                             std::string webhook_id, CircuitState was,
                                                             CircuitState now);

// The record as JSON (SPEC §9), with or without its `hash`; without it and with keys sorted at every level, the
// canonical form the hash covers.
[[nodiscard]] json::object AuditRecordJson(const AuditRecord& r, bool with_hash);
[[nodiscard]] std::string CanonicalAuditJson(const AuditRecord& r);

}  // namespace hookd
