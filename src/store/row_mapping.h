// How each noun is read back from a stored row, and the columns it takes, written once for both backends. A Row is
// anything that reads one row by column index: Text, Int, OptInt, IsNull, Bool, Bytes (a body, any bytes) and
// Strings (a list of strings: a text[] on PostgreSQL, a JSON array on SQLite) — sqlite::Statement and
// postgres::Row. Each *_COLUMNS list is the order its mapper reads; both backends select with it. Pure.
//
//   auto q = db.Prepare("SELECT " HOOKD_EVENT_COLUMNS " FROM events WHERE id = ?");
//   ...
//   Event e = EventFromRow(q);
#pragma once

#include <string>

#include "common/result.h"
#include "crypto/secret_cipher.h"
#include "domain/audit.h"
#include "domain/delivery_stats.h"
#include "domain/endpoint_credentials.h"
#include "domain/header_list.h"
#include "domain/model.h"
#include "domain/stats_rollup.h"
#include "store/audit_chain.h"
#include "store/row_values.h"
#include "store/store.h"

// String literals, so that statements built from them stay literals (both backends prepare a statement once per
// connection, keyed by its address).
#define HOOKD_ACCOUNT_COLUMNS "id, name, email, created_at, updated_at"
#define HOOKD_API_KEY_COLUMNS "id, account_id, name, prefix, created_at, last_used_at"
#define HOOKD_PORTAL_SESSION_COLUMNS "id, account_id, access, return_url, created_at, expires_at"
#define HOOKD_WEBHOOK_COLUMNS                                                                                  \
  "id, account_id, url, name, description, events, active, environment, rate_limit, ordered, payload_format, " \
  "headers, metadata, secret_enc, previous_secret_enc, previous_secret_expires_at, status, disabled_reason, "  \
  "circuit, created_at, updated_at, verification, verified, credentials_enc"
#define HOOKD_EVENT_COLUMNS "id, account_id, type, environment, data, metadata, created_at"
#define HOOKD_DELIVERY_COLUMNS                                                                             \
  "id, account_id, event_id, webhook_id, event_type, status, attempt_count, next_attempt_at, created_at, " \
  "completed_at, latency_ms, last_response_status, last_response_time_ms, last_error"
#define HOOKD_ATTEMPT_COLUMNS                                                                                      \
  "id, delivery_id, number, started_at, response_status, response_time_ms, error, request_headers, request_body, " \
  "request_body_truncated, response_headers, response_body, response_body_truncated, success"
// A rollup cell as the statistics read it (domain/stats_rollup.h).
#define HOOKD_STATS_CELL_COLUMNS "webhook_id, event_type, start_ms, pending, failed, succeeded, dead, attempts, latency"
// A stored delivery's place and state in the rollup, read before a change to it is counted.
// A delivery as the log shows it, from `deliveries` (unaliased): its columns, then whether its webhook was deleted.
#define HOOKD_LOGGED_DELIVERY_COLUMNS \
  HOOKD_DELIVERY_COLUMNS ", EXISTS (SELECT 1 FROM deleted_webhooks g WHERE g.id = deliveries.webhook_id)"
#define HOOKD_OPERATIONAL_WEBHOOK_COLUMNS \
  "id, account_id, url, description, events, active, secret_enc, created_at, updated_at"
#define HOOKD_DELIVERY_STATS_COLUMNS "account_id, webhook_id, event_type, created_at, status, attempt_count, latency_ms"
#define HOOKD_AUDIT_COLUMNS                                                                                  \
  "id, account_id, seq, at, actor_type, actor_id, ip, request_id, action, target_type, target_id, changes, " \
  "prev_hash, hash"
#define HOOKD_AUDIT_HEAD_COLUMNS "account_id, seq, hash, purged_seq, purged_hash"
// A delivery to resume, from deliveries `d` joined with their events `e`.
#define HOOKD_DUE_COLUMNS \
  "d.id, d.webhook_id, d.event_id, d.attempt_count, COALESCE(d.next_attempt_at, d.created_at), e.created_at"

namespace hookd {

// How many columns HOOKD_DELIVERY_COLUMNS reads (a statement's further columns come after them).
inline constexpr int kDeliveryColumnCount = 14;

template <class Row>
Account AccountFromRow(const Row& r) {
  return Account{r.Text(0), r.Text(1), r.Text(2), r.Int(3), r.Int(4)};
}

template <class Row>
ApiKey ApiKeyFromRow(const Row& r) {
  return ApiKey{r.Text(0), r.Text(1), r.Text(2), r.Text(3), r.Int(4), r.OptInt(5)};
}

template <class Row>
PortalSession PortalSessionFromRow(const Row& r) {
  return PortalSession{r.Text(0), r.Text(1), ParsePortalAccess(r.Text(2)).value_or(PortalAccess::kRead),
                       r.Text(3), r.Int(4),  r.Int(5)};
}

template <class Row>
Event EventFromRow(const Row& r) {
  return Event{r.Text(0), r.Text(1), r.Text(2), r.Text(3), r.Text(4), r.Text(5), r.Int(6)};
}

template <class Row>
std::optional<int> OptStatusCode(const Row& r, int col) {
  return r.IsNull(col) ? std::nullopt : std::optional<int>(static_cast<int>(r.Int(col)));
}

template <class Row>
Delivery DeliveryFromRow(const Row& r) {
  Delivery d;
  d.id = r.Text(0);
  d.account_id = r.Text(1);
  d.event_id = r.Text(2);
  d.webhook_id = r.Text(3);
  d.event_type = r.Text(4);
  d.status = ParseDeliveryStatus(r.Text(5)).value_or(DeliveryStatus::kPending);
  d.attempt_count = static_cast<int>(r.Int(6));
  d.next_attempt_at_ms = r.OptInt(7);
  d.created_at_ms = r.Int(8);
  d.completed_at_ms = r.OptInt(9);
  d.latency_ms = r.OptInt(10);
  d.last_response_status = OptStatusCode(r, 11);
  d.last_response_time_ms = r.OptInt(12);
  d.last_error = r.Text(13);
  return d;
}

template <class Row>
Delivery LoggedDeliveryFromRow(const Row& r) {
  Delivery d = DeliveryFromRow(r);
  d.webhook_deleted = r.Bool(kDeliveryColumnCount);
  return d;
}

template <class Row>
Attempt AttemptFromRow(const Row& r) {
  Attempt a;
  a.id = r.Text(0);
  a.delivery_id = r.Text(1);
  a.number = static_cast<int>(r.Int(2));
  a.started_at_ms = r.Int(3);
  a.response_status = OptStatusCode(r, 4);
  a.response_time_ms = r.Int(5);
  a.error = r.Text(6);
  a.request_headers_json = r.Text(7);
  a.request_body = r.Text(8);
  a.request_body_truncated = r.Bool(9);
  a.response_headers_json = r.Text(10);
  a.response_body = r.Bytes(11);
  a.response_body_truncated = r.Bool(12);
  a.success = r.Bool(13);
  return a;
}

template <class Row>
DueDelivery DueFromRow(const Row& r) {
  return DueDelivery{r.Text(0), r.Text(1), r.Text(2), static_cast<int>(r.Int(3)), r.Int(4), r.Int(5), nullptr};
}

// Adds a rollup cell (HOOKD_STATS_CELL_COLUMNS) to `stats`.
template <class Row>
void AddStatsCell(StatsBuilder& stats, const Row& r) {
  StatsCounts c;
  c.pending = r.Int(3);
  c.failed = r.Int(4);
  c.succeeded = r.Int(5);
  c.dead = r.Int(6);
  c.attempts = r.Int(7);
  stats.AddStored(r.Text(1), r.Text(0), r.Int(2), c, r.Text(8));
}

template <class Row>
StoredStatsPlace StoredStatsPlaceFromRow(const Row& r, int first = 0) {
  StoredStatsPlace p;
  p.account_id = r.Text(first);
  p.webhook_id = r.Text(first + 1);
  p.event_type = r.Text(first + 2);
  p.created_at_ms = r.Int(first + 3);
  p.state.status = ParseDeliveryStatus(r.Text(first + 4)).value_or(DeliveryStatus::kPending);
  p.state.attempt_count = r.Int(first + 5);
  p.state.latency_ms = r.OptInt(first + 6);
  return p;
}

// A webhook with its secrets opened; fails when they do not open under `cipher` or a state is unknown.
template <class Row>
Result<Webhook> WebhookFromRow(const Row& r, const SecretCipher& cipher) {
  Webhook w;
  w.id = r.Text(0);
  w.account_id = r.Text(1);
  w.url = r.Text(2);
  w.name = r.Text(3);
  w.description = r.Text(4);
  w.events = r.Strings(5);
  w.active = r.Bool(6);
  w.environment = r.Text(7);
  w.rate_limit = static_cast<int>(r.Int(8));
  w.ordered = r.Bool(9);
  w.payload_format = ParsePayloadFormat(r.Text(10)).value_or(PayloadFormat::kStandard);
  w.headers = HeadersFromJsonObject(r.Text(11));
  w.metadata_json = r.Text(12);
  auto secret = cipher.Decrypt(r.Text(13));
  if (!secret) return Fail(secret.error());
  w.secret = std::move(*secret);
  if (!r.IsNull(14)) {
    auto previous = cipher.Decrypt(r.Text(14));
    if (!previous) return Fail(previous.error());
    w.previous_secret = std::move(*previous);
    w.previous_secret_expires_at_ms = r.Int(15);
  }
  const auto status = ParseWebhookStatus(r.Text(16));
  const auto circuit = ParseCircuitState(r.Text(18));
  if (!status || !circuit) return Fail(Error::Internal("webhook " + w.id + " has an unknown status or circuit state"));
  w.status = *status;
  w.disabled_reason = r.Text(17);
  w.circuit = *circuit;
  w.created_at_ms = r.Int(19);
  w.updated_at_ms = r.Int(20);
  w.verification = ParseWebhookVerification(r.Text(21)).value_or(WebhookVerification::kNone);
  w.verified = r.Bool(22);
  if (!r.IsNull(23)) {  // sealed like the secrets (domain/endpoint_credentials.h)
    auto credentials = cipher.Decrypt(r.Text(23));
    if (!credentials) return Fail(credentials.error());
    if (auto st = ReadCredentialsJson(*credentials, w); !st) return Fail(st.error());
  }
  return w;
}

// A webhook's stored fields in the order both backends' webhook statements take them: 1 id, 2 account_id, 3 url,
// 4 name, 5 description, 6 events, 7 active, 8 environment, 9 rate_limit, 10 ordered, 11 payload_format,
// 12 headers, 13 metadata, 14 secret_enc, 15 previous_secret_enc (NULL when not rotating), 16
// previous_secret_expires_at (likewise), 17 status, 18 disabled_reason (NULL when empty), 19 circuit,
// 20 updated_at, 21 verification, 22 verified, 23 credentials_enc (NULL when none). `out` is anything with
// Text(string), Strings(list), Int(int64), Bool(bool) and Null() that appends the next parameter.
template <class Params>
void AddWebhookFields(Params& out, const Webhook& w, const SecretCipher& cipher) {
  const bool rotating = !w.previous_secret.empty();
  out.Text(w.id);
  out.Text(w.account_id);
  out.Text(w.url);
  out.Text(w.name);
  out.Text(w.description);
  out.Strings(w.events);
  out.Bool(w.active);
  out.Text(w.environment);
  out.Int(w.rate_limit);
  out.Bool(w.ordered);
  out.Text(ToString(w.payload_format));
  out.Text(HeadersToJsonObject(w.headers));
  out.Text(w.metadata_json);
  out.Text(cipher.Encrypt(w.secret));
  if (rotating) {
    out.Text(cipher.Encrypt(w.previous_secret));
    out.Int(w.previous_secret_expires_at_ms);
  } else {
    out.Null();
    out.Null();
  }
  out.Text(ToString(w.status));
  if (w.disabled_reason.empty()) {
    out.Null();
  } else {
    out.Text(w.disabled_reason);
  }
  out.Text(ToString(w.circuit));
  out.Int(w.updated_at_ms);
  out.Text(ToString(w.verification));
  out.Bool(w.verified);
  if (const std::string credentials = CredentialsJson(w); credentials.empty()) {
    out.Null();
  } else {
    out.Text(cipher.Encrypt(credentials));
  }
}

template <class Row>
AuditRecord AuditRecordFromRow(const Row& r) {
  AuditRecord a;
  a.id = r.Text(0);
  a.account_id = r.Text(1);
  a.seq = r.Int(2);
  a.actor.at_ms = r.Int(3);
  a.actor.type = ParseActorType(r.Text(4)).value_or(ActorType::kSystem);
  a.actor.id = r.Text(5);
  a.actor.ip = r.Text(6);
  a.actor.request_id = r.Text(7);
  a.action = r.Text(8);
  a.target_type = r.Text(9);
  a.target_id = r.Text(10);
  const json::value changes = ParseJsonOrNull(r.Text(11));
  if (changes.is_object()) a.changes = changes.as_object();
  a.prev_hash = r.Text(12);
  a.hash = r.Text(13);
  return a;
}

// An audit record's stored fields in HOOKD_AUDIT_COLUMNS order (parameters 1 to 14).
template <class Params>
void AddAuditFields(Params& out, const AuditRecord& a) {
  out.Text(a.id);
  out.Text(a.account_id);
  out.Int(a.seq);
  out.Int(a.actor.at_ms);
  out.Text(ToString(a.actor.type));
  out.Text(a.actor.id);
  out.Text(a.actor.ip);
  out.Text(a.actor.request_id);
  out.Text(a.action);
  out.Text(a.target_type);
  out.Text(a.target_id);
  out.Text(SerializeJson(a.changes));
  out.Text(a.prev_hash);
  out.Text(a.hash);
}

template <class Row>
AuditHead AuditHeadFromRow(const Row& r) {
  return AuditHead{r.Text(0), r.Int(1), r.Text(2), r.Int(3), r.Text(4)};
}

// An operational webhook with its secret opened (domain/operational.h).
template <class Row>
Result<OperationalWebhook> OperationalWebhookFromRow(const Row& r, const SecretCipher& cipher) {
  OperationalWebhook w;
  w.id = r.Text(0);
  w.account_id = r.Text(1);
  w.url = r.Text(2);
  w.description = r.Text(3);
  w.events = r.Strings(4);
  w.active = r.Bool(5);
  auto secret = cipher.Decrypt(r.Text(6));
  if (!secret) return Fail(secret.error());
  w.secret = std::move(*secret);
  w.created_at_ms = r.Int(7);
  w.updated_at_ms = r.Int(8);
  return w;
}

// An operational webhook's stored fields in HOOKD_OPERATIONAL_WEBHOOK_COLUMNS order (as AddWebhookFields).
template <class Params>
void AddOperationalWebhookFields(Params& out, const OperationalWebhook& w, const SecretCipher& cipher) {
  out.Text(w.id);
  out.Text(w.account_id);
  out.Text(w.url);
  out.Text(w.description);
  out.Strings(w.events);
  out.Bool(w.active);
  out.Text(cipher.Encrypt(w.secret));
  out.Int(w.created_at_ms);
  out.Int(w.updated_at_ms);
}

}  // namespace hookd
