// The store: hookd's persistent state behind one interface shaped by domain operations (SPEC §5), with two
// implementations, SQLite (store/sqlite/, the default) and PostgreSQL (store/postgres/). It says what each
// operation guarantees, never how a backend achieves it; tests/unit/store_conformance_test.cc checks both.
//
// Thread-safety: every method may be called from any thread and may block on I/O; never call it from a network
// thread. Writes are durable when the call returns successfully (or, for the async method, when its callback
// reports success).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/metrics.h"
#include "common/mutex.h"
#include "common/result.h"
#include "domain/audit.h"
#include "domain/catalog.h"
#include "domain/delivery_stats.h"
#include "domain/model.h"
#include "domain/operational.h"
#include "domain/subscription.h"
#include "store/audit_chain.h"
#include "store/engine_store.h"
#include "store/master_keys.h"

namespace hookd {

struct PageRequest {
  int limit = 50;
  std::string cursor;  // the id after which (older than which) to continue; empty = newest
};

template <class T>
struct Page {
  std::vector<T> data;
  std::optional<std::string> next_cursor;
};

struct WebhookFilter {
  std::optional<bool> active;
  std::string event_type;  // webhooks subscribed to this type
  std::string environment;
  std::optional<WebhookStatus> status;

  // Whether a webhook subscribed to `patterns` passes the event-type filter (a backend applies it as it reads).
  [[nodiscard]] bool MatchesEventType(const std::vector<std::string>& patterns) const {
    return event_type.empty() || MatchesAnyPattern(patterns, event_type);
  }
};

struct EventFilter {
  std::string type;
  std::optional<int64_t> since_ms;
  std::optional<int64_t> until_ms;
};

struct DeliveryFilter {
  std::string webhook_id;
  std::string event_type;
  std::optional<DeliveryStatus> status;
  std::optional<int64_t> since_ms;
  std::optional<int64_t> until_ms;
};

struct AuditFilter {
  std::string account_id;  // empty = every account's records (the admin's view)
  std::string target_id;
  std::string action;
  std::string actor_id;
  std::optional<int64_t> since_ms;
  std::optional<int64_t> until_ms;
};

// An event to accept, with its idempotency key (empty = none).
struct NewEvent {
  Event event;
  std::string idempotency_key;
};

// The result of accepting one event: the event as stored and its deliveries. `replayed` is true when the
// idempotency key matched an earlier event, which is returned instead and nothing new was created.
struct AcceptedEvent {
  Event event;
  std::vector<Delivery> deliveries;
  int delivery_count = 0;
  bool replayed = false;
};

// What the delivery engine needs to resume or run a delivery.
struct DueDelivery {
  std::string delivery_id;
  std::string webhook_id;
  std::string event_id;
  int attempt_count = 0;
  int64_t due_at_ms = 0;
  int64_t event_created_at_ms = 0;
  std::shared_ptr<const Event> event;  // when it was read along (else the engine reads it by event_id when due)
};

// A page of a bulk operation: what it changed, and where the next page starts (empty = done).
struct BulkChunk {
  std::vector<Delivery> deliveries;  // reopened or created, to hand to the engine
  std::string next_after;            // the id to continue after
  int scanned = 0;
};

struct StatsQuery {
  std::string account_id;
  std::string webhook_id;  // empty = all of the account's webhooks
  StatsPlan plan;          // the period, its buckets and the rollup cells that answer it
};

// Who this process is among those sharing one database (SPEC §6).
struct WorkerIdentity {
  std::string name;  // the same across restarts (cli/key_files.h: the data directory's worker name)
  int64_t lease_duration_ms = 15'000;
  bool delivers = true;  // runs deliveries (a worker); only then does it hear of due work
};

class WorkDistribution;

class Store : public EngineStore {
 public:
  // Accounts and API keys (admin). Every change below that takes an Actor writes its audit record (domain/audit.h)
  // in its own transaction, naming `by`.
  [[nodiscard]] virtual Result<Account> CreateAccount(const Account& account, const Actor& by) = 0;
  [[nodiscard]] virtual Result<Account> GetAccount(const std::string& id) = 0;
  [[nodiscard]] virtual Result<Page<Account>> ListAccounts(const PageRequest& page) = 0;
  [[nodiscard]] virtual Result<Account> UpdateAccount(const Account& account, const Actor& by) = 0;
  [[nodiscard]] virtual Status DeleteAccount(const std::string& id, const Actor& by) = 0;
  [[nodiscard]] virtual Result<ApiKey> CreateApiKey(const ApiKey& key, const std::string& key_hash,
                                                    const Actor& by) = 0;
  [[nodiscard]] virtual Result<std::vector<ApiKey>> ListApiKeys(const std::string& account_id) = 0;
  [[nodiscard]] virtual Status RevokeApiKey(const std::string& account_id, const std::string& key_id,
                                            const Actor& by) = 0;
  // The key whose SHA-256 hash is `key_hash`, or nullopt.
  [[nodiscard]] virtual Result<std::optional<ApiKey>> FindApiKeyByHash(const std::string& key_hash) = 0;

  // Portal sessions (SPEC §3). Creating one also forgets the account's sessions that expired over a day ago.
  [[nodiscard]] virtual Result<PortalSession> CreatePortalSession(const PortalSession& session,
                                                                  const std::string& token_hash, const Actor& by) = 0;
  // Revoked sessions are deleted: their tokens then read as unknown. NotFound for another account's session.
  [[nodiscard]] virtual Status RevokePortalSession(const std::string& account_id, const std::string& session_id,
                                                   const Actor& by) = 0;
  // The session whose token's SHA-256 hash is `token_hash`, expired or not, or nullopt.
  [[nodiscard]] virtual Result<std::optional<PortalSession>> FindPortalSessionByHash(const std::string& token_hash) = 0;

  // Webhooks. Reads return secrets decrypted. Each change writes its audit record (domain/audit.h) in its own
  // transaction, naming `by`.
  // Refused with 409 too_many_webhooks when the account already has `max_per_account` webhooks (checked in the
  // same transaction as the insert, so concurrent creates cannot pass it).
  [[nodiscard]] virtual Result<Webhook> CreateWebhook(const Webhook& webhook, int max_per_account, const Actor& by) = 0;
  [[nodiscard]] virtual Result<Webhook> GetWebhook(const std::string& account_id, const std::string& id) = 0;
  [[nodiscard]] virtual Result<Page<Webhook>> ListWebhooks(const std::string& account_id, const WebhookFilter& filter,
                                                           const PageRequest& page) = 0;
  // Writes the webhook's settings and secrets. Its activity and health (`active`, `status`, `disabled_reason`,
  // `circuit`), which the delivery engine also changes, are written only with `sets_activity`: an update that does
  // not mean to change them never writes back a stale copy (a PATCH of the name must not re-enable a webhook the
  // engine disabled meanwhile).
  // The record compares the webhook as stored before, read in the same transaction, with what it becomes.
  // `verified` is never set here (MarkWebhookVerified does): a new URL clears it, and so does a copy that says
  // it is not.
  [[nodiscard]] virtual Result<Webhook> UpdateWebhook(const Webhook& webhook, bool sets_activity, const Actor& by) = 0;
  [[nodiscard]] virtual Status DeleteWebhook(const std::string& account_id, const std::string& id, const Actor& by) = 0;
  // Records that the webhook's endpoint answered the ownership handshake (SPEC §10) sent to `url`, with its
  // `webhook.verified` record, in one transaction; the webhook as it now is. 409 url_changed when its URL is no
  // longer `url` (a handshake proves only the URL it went to); nothing is written when it already was verified.
  [[nodiscard]] virtual Result<Webhook> MarkWebhookVerified(const std::string& account_id, const std::string& id,
                                                            const std::string& url, const Actor& by) = 0;

  // Events: stores the events and one delivery per matching webhook (domain/subscription.h), all durable together,
  // without blocking; `done` gets the result once it is durable (or failed), on a store thread, and must not block.
  // Every later read of deliveries sees them. An idempotency key seen within the last 24 hours in the same account
  // returns the earlier event (`replayed`) and creates nothing, however many requests race with it.
  virtual void AcceptEventsAsync(std::vector<NewEvent> events,
                                 std::function<void(Result<std::vector<AcceptedEvent>>)> done) = 0;
  [[nodiscard]] virtual Result<Event> GetEvent(const std::string& account_id, const std::string& id) = 0;
  [[nodiscard]] virtual Result<Event> GetEventById(const std::string& id) = 0;
  [[nodiscard]] virtual Result<Page<Event>> ListEvents(const std::string& account_id, const EventFilter& filter,
                                                       const PageRequest& page) = 0;

  // Deliveries.
  [[nodiscard]] virtual Result<Page<Delivery>> ListDeliveries(const std::string& account_id,
                                                              const DeliveryFilter& filter,
                                                              const PageRequest& page) = 0;
  // With its attempts.
  [[nodiscard]] virtual Result<Delivery> GetDelivery(const std::string& account_id, const std::string& id) = 0;
  [[nodiscard]] virtual Result<std::vector<Delivery>> ListDeliveriesOfEvent(const std::string& event_id) = 0;
  // Every delivery that is not finished (in no particular order), until `visit` returns false: what one process
  // that owns every shard resumes when it starts (store/local_work_distribution.h).
  [[nodiscard]] virtual Status ForEachUnfinishedDelivery(const std::function<bool(const DueDelivery&)>& visit) = 0;

  // Manual recovery. A bulk operation's pages are each their own transaction; its one audit record (`record`, null
  // for none) is written with its first page, whatever that page finds.
  // Reopens a failed or dead delivery so it is attempted now (409 if it succeeded or is pending).
  [[nodiscard]] virtual Result<Delivery> ReopenDelivery(const std::string& account_id, const std::string& delivery_id,
                                                        const Actor& by) = 0;
  // Reopens up to `limit` of a webhook's deliveries with one of `statuses`, created in [since, until), with ids
  // after `after` — one page of a bulk retry.
  [[nodiscard]] virtual Result<BulkChunk> ReopenDeliveries(const std::string& webhook_id,
                                                           const std::vector<DeliveryStatus>& statuses,
                                                           int64_t since_ms, int64_t until_ms, const std::string& after,
                                                           int limit, const AuditRecord* record) = 0;
  // How many deliveries a bulk retry would reopen.
  [[nodiscard]] virtual Result<int64_t> CountDeliveries(const std::string& webhook_id,
                                                        const std::vector<DeliveryStatus>& statuses, int64_t since_ms,
                                                        int64_t until_ms) = 0;
  // New deliveries of one event: to `webhook_ids` (each must belong to the event's account).
  [[nodiscard]] virtual Result<std::vector<Delivery>> CreateDeliveries(const Event& event,
                                                                       const std::vector<std::string>& webhook_ids,
                                                                       const AuditRecord* record) = 0;
  // One page of a webhook replay: new deliveries for the account's events in [since, until) that the webhook
  // subscribes to (type and environment), with event ids after `after`.
  [[nodiscard]] virtual Result<BulkChunk> ReplayEvents(const Webhook& webhook, int64_t since_ms, int64_t until_ms,
                                                       const std::string& after, int limit,
                                                       const AuditRecord* record) = 0;

  // Retention: deletes up to `limit` finished deliveries (with their attempts) and events older than
  // `cutoff_ms`, in one small transaction. Returns how many rows went; 0 = nothing left to purge.
  [[nodiscard]] virtual Result<int64_t> PurgeOlderThan(int64_t cutoff_ms, int limit) = 0;
  // Deletes up to `limit` statistics cells of each width: minute cells that start before `minutes_before_ms`,
  // hour cells before `hours_before_ms`. Returns how many went.
  [[nodiscard]] virtual Result<int64_t> PurgeStatsOlderThan(int64_t minutes_before_ms, int64_t hours_before_ms,
                                                            int limit) = 0;

  // Statistics.
  [[nodiscard]] virtual Result<DeliveryStats> Stats(const StatsQuery& query) = 0;
  // How many webhooks (of every account) are healthy, failing and disabled, in that order (for /metrics).
  [[nodiscard]] virtual Result<std::array<int64_t, 3>> CountWebhooksByStatus() = 0;

  // The audit trail (SPEC §9, store/audit_chain.h). A change's record is written by the change itself; this writes
  // the record of an action that changes nothing else (a secret revealed), appended to its account's chain.
  [[nodiscard]] virtual Status RecordAudit(AuditRecord record) = 0;
  // Newest first; the cursor is a record's id.
  [[nodiscard]] virtual Result<Page<AuditRecord>> ListAuditRecords(const AuditFilter& filter,
                                                                   const PageRequest& page) = 0;
  // Retention of the audit trail: deletes up to about `limit` of the oldest records older than `cutoff_ms` from the
  // start of their chains (store/audit_chain.h: AdvancePurgedMark). Returns how many went; 0 = nothing left.
  [[nodiscard]] virtual Result<int64_t> PurgeAuditOlderThan(int64_t cutoff_ms, int limit) = 0;
  // Hands `verifier` every chain's head, then every record, each chain in order, then ends it.
  [[nodiscard]] virtual Status VerifyAuditChains(AuditChainVerifier& verifier) = 0;

  // Operational webhooks (SPEC §9, domain/operational.h); reads return the secret opened. A change that leads to a
  // notice — a webhook disabled by hookd, its circuit opened or closed, its first success after failing or being
  // re-enabled (AttemptRecord::may_recover), its host or secret changed, a delivery dead — stores the notice's event
  // and a delivery to every operational webhook that hears it, in the change's own transaction, and hands those
  // deliveries to OnNewDeliveries once they are durable. Deliveries to an operational webhook lead to no notices.
  [[nodiscard]] virtual Result<OperationalWebhook> CreateOperationalWebhook(const OperationalWebhook& w) = 0;
  [[nodiscard]] virtual Result<OperationalWebhook> GetOperationalWebhook(const std::string& id) = 0;
  // Those of `account_id` ("" = the admin's), oldest first; nullopt = every one.
  [[nodiscard]] virtual Result<std::vector<OperationalWebhook>> ListOperationalWebhooks(
      const std::optional<std::string>& account_id) = 0;
  [[nodiscard]] virtual Result<OperationalWebhook> UpdateOperationalWebhook(const OperationalWebhook& w) = 0;
  [[nodiscard]] virtual Status DeleteOperationalWebhook(const std::string& id) = 0;

  // Custom event types (admin).
  [[nodiscard]] virtual Result<std::vector<EventType>> ListCustomEventTypes() = 0;
  [[nodiscard]] virtual Status CreateCustomEventType(const EventType& type, const Actor& by) = 0;
  [[nodiscard]] virtual Status DeleteCustomEventType(const std::string& type, const Actor& by) = 0;

  // Master keys (store/master_keys.h). The stored check value (`first_check` becomes it when none is stored yet)
  // and the keys stored sealed under one another.
  [[nodiscard]] virtual Result<StoredMasterKeys> ReadMasterKeys(const std::string& first_check) = 0;
  // Stores `wrapped`; rows already stored stay as they are.
  [[nodiscard]] virtual Status AddWrappedKeys(const std::vector<WrappedKey>& wrapped) = 0;
  // Makes `check` the stored check value if it is still `expected`; false when it was not.
  [[nodiscard]] virtual Result<bool> ReplaceMasterKeyCheck(const std::string& expected, const std::string& check) = 0;
  [[nodiscard]] virtual Status ForgetWrappedKeys() = 0;
  // Up to `limit` webhooks' sealed secrets in id order, after `after`, of every account.
  [[nodiscard]] virtual Result<std::vector<SealedSecrets>> ListSealedSecrets(const std::string& after, int limit) = 0;
  // Writes `now`'s sealed secrets if the webhook's are still `was`'s; false when they changed or it is gone.
  [[nodiscard]] virtual Result<bool> ResealSecrets(const SealedSecrets& was, const SealedSecrets& now) = 0;

  // How the processes sharing this store divide its work (store/work_distribution.h): one process on its own
  // database runs everything; processes sharing PostgreSQL take shard leases. Destroy it before the store.
  [[nodiscard]] virtual Result<std::unique_ptr<WorkDistribution>> OpenWorkDistribution(const WorkerIdentity& worker,
                                                                                       const Clock& clock) = 0;

  // Deliveries the store made itself are handed to `found` on a store thread once durable, to be scheduled: those
  // of operational notices (above), and those of events whose commit reached the database although their caller
  // was told it failed (the connection dropped during COMMIT; found again once the database answers), so they are
  // delivered rather than left waiting for a restart. nullptr unregisters.
  void OnNewDeliveries(std::function<void(std::vector<Delivery>)> found);

 protected:
  void HandNewDeliveries(std::vector<Delivery> deliveries);

 private:
  Mutex new_deliveries_mu_;
  std::function<void(std::vector<Delivery>)> new_deliveries_ GUARDED_BY(new_deliveries_mu_);
};

// How hookd reaches PostgreSQL when a pooler stands in between (docs/operations.md). In transaction mode a
// connection is the client's only for one transaction, so nothing may outlast one: no named prepared statements,
// no session settings, no LISTEN, no session advisory locks. Those that need a session (the notice listener,
// migrations, the retention maintenance lock) then use `direct_url`.
struct DatabasePooling {
  bool transaction_mode = false;
  std::string direct_url;  // empty = the database URL itself
};

// Opens the store named by `database_url` ("sqlite:PATH", or "postgres://…" with a pool of `pool_size`
// connections), applying migrations. `master_key` is 32 bytes. `metrics`, when given, records each write
// transaction's duration and size. `retention_ms` is how long the delivery log is kept, which sizes PostgreSQL's
// time partitions.
[[nodiscard]] Result<std::unique_ptr<Store>> OpenStore(const std::string& database_url, const std::string& master_key,
                                                       int pool_size = 16, Metrics* metrics = nullptr,
                                                       int64_t retention_ms = 30LL * 86'400'000,
                                                       const DatabasePooling& pooling = {});

}  // namespace hookd
