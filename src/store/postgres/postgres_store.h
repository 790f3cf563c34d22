// The PostgreSQL implementation of Store (`--database postgres://…`). API reads and writes run on a pool of
// connections (`--database-pool`); accepted events with their deliveries, and attempt outcomes, go through two
// group-commit writers, each writing what concurrent callers queued in one transaction of multi-row statements
// (`unnest` of arrays). Idempotency keys rest on their own table (`INSERT … ON CONFLICT`); events, deliveries
// and attempts are partitioned by time, so retention drops them a partition at a time (partitions.h). When the server
// is unreachable every operation fails with `Unavailable` (503) and the store recovers by itself once it is back.
// Webhook secrets are sealed with SecretCipher. Thread-safe.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/mutex.h"
#include "common/periodic_task.h"
#include "common/thread_checker.h"
#include "crypto/secret_cipher.h"
#include "store/match_cache.h"
#include "store/postgres/backend.h"
#include "store/postgres/batch_writer.h"
#include "store/postgres/pool.h"
#include "store/store.h"

namespace hookd::postgres {

class PostgresNoticeRows;

class PostgresStore final : public Store {
 public:
  // Connects to `url`, applies migrations, makes the time partitions for a delivery log kept `retention_ms`
  // reach ahead of the clock (store/postgres/partitions.h) and starts the writers. Fails (with the server's reason)
  // when the database cannot be reached or its schema is newer than this binary's.
  static Result<std::unique_ptr<PostgresStore>> Open(const std::string& url, const std::string& master_key,
                                                     int pool_size, Metrics* metrics = nullptr,
                                                     const Clock& clock = SystemTime(),
                                                     int64_t retention_ms = 30LL * 86'400'000,
                                                     const DatabasePooling& pooling = {});
  ~PostgresStore() override;

  Result<Account> CreateAccount(const Account& account, const Actor& by) override;
  Result<Account> GetAccount(const std::string& id) override;
  Result<Page<Account>> ListAccounts(const PageRequest& page) override;
  Result<Account> UpdateAccount(const Account& account, const Actor& by) override;
  Status DeleteAccount(const std::string& id, const Actor& by) override;
  Result<ApiKey> CreateApiKey(const ApiKey& key, const std::string& key_hash, const Actor& by) override;
  Result<std::vector<ApiKey>> ListApiKeys(const std::string& account_id) override;
  Status RevokeApiKey(const std::string& account_id, const std::string& key_id, const Actor& by) override;
  Result<std::optional<ApiKey>> FindApiKeyByHash(const std::string& key_hash) override;
  Result<PortalSession> CreatePortalSession(const PortalSession& session, const std::string& token_hash,
                                            const Actor& by) override;
  Status RevokePortalSession(const std::string& account_id, const std::string& session_id, const Actor& by) override;
  Result<std::optional<PortalSession>> FindPortalSessionByHash(const std::string& token_hash) override;

  Result<Webhook> CreateWebhook(const Webhook& webhook, int max_per_account, const Actor& by) override;
  Result<Webhook> GetWebhook(const std::string& account_id, const std::string& id) override;
  Result<Webhook> GetWebhookById(const std::string& id) override;
  Result<Page<Webhook>> ListWebhooks(const std::string& account_id, const WebhookFilter& filter,
                                     const PageRequest& page) override;
  Result<Webhook> UpdateWebhook(const Webhook& webhook, bool sets_activity, const Actor& by) override;
  Status DeleteWebhook(const std::string& account_id, const std::string& id, const Actor& by) override;
  Result<Webhook> MarkWebhookVerified(const std::string& account_id, const std::string& id, const std::string& url,
                                      const Actor& by) override;

  void AcceptEventsAsync(std::vector<NewEvent> events,
                         std::function<void(Result<std::vector<AcceptedEvent>>)> done) override;
  Result<Event> GetEvent(const std::string& account_id, const std::string& id) override;
  Result<Event> GetEventById(const std::string& id) override;
  Result<std::vector<Event>> GetEventsByIds(const std::vector<std::string>& ids) override;
  Result<Page<Event>> ListEvents(const std::string& account_id, const EventFilter& filter,
                                 const PageRequest& page) override;

  Result<Page<Delivery>> ListDeliveries(const std::string& account_id, const DeliveryFilter& filter,
                                        const PageRequest& page) override;
  Result<Delivery> GetDelivery(const std::string& account_id, const std::string& id) override;
  Result<std::vector<Delivery>> ListDeliveriesOfEvent(const std::string& event_id) override;
  Status ForEachUnfinishedDelivery(const std::function<bool(const DueDelivery&)>& visit) override;
  void RecordAttemptsAsync(std::vector<AttemptRecord> records, RecordedCallback done) override;
  void UpdateWebhookHealthAsync(HealthRecord health) override;

  Result<Delivery> ReopenDelivery(const std::string& account_id, const std::string& delivery_id,
                                  const Actor& by) override;
  Result<BulkChunk> ReopenDeliveries(const std::string& webhook_id, const std::vector<DeliveryStatus>& statuses,
                                     int64_t since_ms, int64_t until_ms, const std::string& after, int limit,
                                     const AuditRecord* record) override;
  Result<int64_t> CountDeliveries(const std::string& webhook_id, const std::vector<DeliveryStatus>& statuses,
                                  int64_t since_ms, int64_t until_ms) override;
  Result<std::vector<Delivery>> CreateDeliveries(const Event& event, const std::vector<std::string>& webhook_ids,
                                                 const AuditRecord* record) override;
  Result<BulkChunk> ReplayEvents(const Webhook& webhook, int64_t since_ms, int64_t until_ms, const std::string& after,
                                 int limit, const AuditRecord* record) override;
  Result<int64_t> PurgeOlderThan(int64_t cutoff_ms, int limit) override;
  Result<int64_t> PurgeStatsOlderThan(int64_t minutes_before_ms, int64_t hours_before_ms, int limit) override;
  Result<DeliveryStats> Stats(const StatsQuery& query) override;
  Result<std::array<int64_t, 3>> CountWebhooksByStatus() override;

  Status RecordAudit(AuditRecord record) override;
  Result<Page<AuditRecord>> ListAuditRecords(const AuditFilter& filter, const PageRequest& page) override;
  Result<int64_t> PurgeAuditOlderThan(int64_t cutoff_ms, int limit) override;
  Status VerifyAuditChains(AuditChainVerifier& verifier) override;

  Result<OperationalWebhook> CreateOperationalWebhook(const OperationalWebhook& w) override;
  Result<OperationalWebhook> GetOperationalWebhook(const std::string& id) override;
  Result<std::vector<OperationalWebhook>> ListOperationalWebhooks(
      const std::optional<std::string>& account_id) override;
  Result<OperationalWebhook> UpdateOperationalWebhook(const OperationalWebhook& w) override;
  Status DeleteOperationalWebhook(const std::string& id) override;
  // An operational notice stored in the change's transaction (store/postgres/notice_rows.h).
  Status Notify(Connection& c, const OperationalNotice& notice, std::vector<Delivery>& created);

  Result<std::vector<EventType>> ListCustomEventTypes() override;
  Status CreateCustomEventType(const EventType& type, const Actor& by) override;
  Status DeleteCustomEventType(const std::string& type, const Actor& by) override;

  Result<StoredMasterKeys> ReadMasterKeys(const std::string& first_check) override;
  Status AddWrappedKeys(const std::vector<WrappedKey>& wrapped) override;
  Result<bool> ReplaceMasterKeyCheck(const std::string& expected, const std::string& check) override;
  Status ForgetWrappedKeys() override;
  Result<std::vector<SealedSecrets>> ListSealedSecrets(const std::string& after, int limit) override;
  Result<bool> ResealSecrets(const SealedSecrets& was, const SealedSecrets& now) override;

  void Flush() override;

  // Shard leases and notices on this database (store/postgres/work_distribution.h).
  Result<std::unique_ptr<WorkDistribution>> OpenWorkDistribution(const WorkerIdentity& worker,
                                                                 const Clock& clock) override;

 private:
  friend class PostgresNoticeRows;  // appends a change's audit record in the change's transaction
  // Deletes the account's API key or portal session with `delete_sql` (a literal), writes `record`, and has every
  // process drop its cached credentials.
  Status RevokeCredential(const char* delete_sql, const std::string& id, const std::string& account_id,
                          const char* what, AuditRecord record);
  // One caller's events, waiting for the accept writer.
  struct AcceptJob {
    std::vector<NewEvent> events;
    std::function<void(Result<std::vector<AcceptedEvent>>)> done;
    std::vector<AcceptedEvent> accepted;
  };
  // One caller's attempt outcomes, or a webhook's health, waiting for the outcome writer.
  struct OutcomeJob {
    std::vector<AttemptRecord> records;
    RecordedCallback done;
    std::optional<HealthRecord> health;
    std::vector<size_t> refused;    // records not written: their shard's epoch moved on
    std::vector<Delivery> noticed;  // deliveries of the operational notices they made
  };
  PostgresStore(std::string url, std::string master_key, int pool_size, Metrics* metrics, const Clock& clock,
                const DatabasePooling& pooling);

  Status WriteAccepts(Connection& conn, std::vector<AcceptJob*>& jobs);
  // After accepts failed for want of the database: hands the deliveries committed since then and never attempted
  // to the recovery handler (accept writer only).
  Status RecoverInDoubtDeliveries(Connection& conn);
  Status WriteOutcomes(Connection& conn, std::vector<OutcomeJob*>& jobs);
  // Disables the webhook of `record`'s delivery (410, or too many dead deliveries), with its record and notice.
  Status DisableWebhook(Connection& conn, const AttemptRecord& record, std::vector<Delivery>& noticed);
  Status WriteHealth(Connection& conn, const HealthRecord& health, std::vector<Delivery>& noticed);
  // The notices an attempt's outcome makes (store/operational_notices.h).
  Status NoteAttemptOutcome(Connection& conn, const AttemptRecord& record, std::vector<Delivery>& noticed);
  // The account's webhooks as event matching sees them (accept writer only).
  Result<const std::vector<MatchCache::Target>*> MatchTargets(Connection& conn, const std::string& account_id);

  Params& AddWebhookParams(Params& p, const Webhook& w) const;
  // Appends `record` to its account's chain in the change's transaction, holding the chain's head row so that
  // processes appending to one chain take turns.
  static Status AppendAudit(Connection& c, AuditRecord record);

  SecretCipher cipher_;
  const Clock& clock_;
  std::shared_ptr<Backend> backend_;  // shared with the work distribution
  Pool& pool_;                        // backend_'s
  ThreadChecker accept_thread_;       // the accept writer's thread: match_cache_
  MatchCache match_cache_;
  // When accepts first failed because the database was unreachable (their commit may have happened); 0 = none.
  std::atomic<int64_t> in_doubt_since_ms_{0};
  std::unique_ptr<PeriodicTask> in_doubt_check_;  // looks every second whether recovery is due
  std::unique_ptr<PeriodicTask> key_refresh_;     // store/master_keys.h
  // Retention's partition step (maintenance.cc), run at most once a second: when it last ran, and what it left to
  // be purged row by row (rows made before these times).
  std::atomic<int64_t> partitions_checked_ms_{0};
  std::atomic<int64_t> events_purge_before_ms_{0};
  std::atomic<int64_t> deliveries_purge_before_ms_{0};
  std::unique_ptr<BatchWriter<AcceptJob>> accept_writer_;
  std::unique_ptr<BatchWriter<OutcomeJob>> outcome_writer_;
};

}  // namespace hookd::postgres
