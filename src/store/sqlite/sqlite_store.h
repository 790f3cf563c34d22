// The SQLite implementation of Store: one write connection owned by a GroupCommitWriter, and a pool of read
// connections (WAL lets readers run alongside the writer). Webhook secrets are sealed with SecretCipher. Its
// operations live beside it by noun: accounts.cc (accounts, keys, portal sessions), webhooks.cc, intake.cc (events),
// delivery_log.cc (deliveries and their outcomes), recovery.cc (manual retry, bulk retry, replay) and
// maintenance.cc (retention, statistics, custom event types). Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/mutex.h"
#include "common/periodic_task.h"
#include "common/thread_checker.h"
#include "crypto/secret_cipher.h"
#include "store/match_cache.h"
#include "store/sqlite/awaiting_deliveries.h"
#include "store/sqlite/checkpointer.h"
#include "store/sqlite/database.h"
#include "store/sqlite/group_commit.h"
#include "store/sqlite/stats.h"
#include "store/store.h"

namespace hookd::sqlite {

// One new pending delivery (bind: id, account_id, event_id, webhook_id, event_type, next_attempt_at, created_at).
// Named so that bench/tools/index_cost.cc times the statement hookd runs.
inline constexpr const char* kInsertDeliverySql =
    "INSERT INTO deliveries(id, account_id, event_id, webhook_id, event_type, status, attempt_count, "
    "next_attempt_at, created_at) VALUES (?,?,?,?,?,'pending',0,?,?)";

// Recording one attempt: its delivery's new state (AwaitingDeliveries::WriteOutcome), then, if the delivery still
// exists, the attempt's row (bind: id, delivery_id, number, started_at, response_status, response_time_ms, error,
// request_headers, request_body, request_body_truncated, response_headers, response_body, response_body_truncated,
// success). Named so that bench/tools/write_paths.cc times the statement hookd runs.
inline constexpr const char* kInsertAttemptSql =
    "INSERT INTO attempts(id, delivery_id, number, started_at, response_status, response_time_ms, error, "
    "request_headers, request_body, request_body_truncated, response_headers, response_body, "
    "response_body_truncated, success) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)";

// How long attempt outcomes may wait to be written together. A crash loses at most this much of them: those
// deliveries are attempted again after the restart, as an attempt in flight at the crash is.
inline constexpr std::chrono::milliseconds kOutcomeBatchDelay{4};

class SqliteNoticeRows;

class SqliteStore final : public Store {
 public:
  // Opens `path`, applies migrations and starts the writer. Tests may hold outcomes longer, to see them held.
  static Result<std::unique_ptr<SqliteStore>> Open(const std::string& path, const std::string& master_key,
                                                   std::chrono::milliseconds outcome_batch_delay = kOutcomeBatchDelay,
                                                   Metrics* metrics = nullptr, const Clock& clock = SystemTime());
  ~SqliteStore() override;

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

  // An operational notice stored in the writer's transaction `db` (store/sqlite/notice_rows.h).
  Status Notify(Database& db, const OperationalNotice& notice, std::vector<Delivery>& created);

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
  // Every shard, always: one process owns a SQLite database (store/local_work_distribution.h).
  Result<std::unique_ptr<WorkDistribution>> OpenWorkDistribution(const WorkerIdentity& worker,
                                                                 const Clock& clock) override;

 private:
  friend class SqliteNoticeRows;  // appends a change's audit record in the change's transaction
  SqliteStore(std::string path, std::string master_key, std::unique_ptr<Database> write_db,
              std::chrono::milliseconds outcome_batch_delay, Metrics* metrics, const Clock& clock);

  // Runs `fn` with a read connection from the pool.
  template <class Fn>
  auto WithReader(Fn&& fn) -> decltype(fn(std::declval<Database&>()));

  // The read barrier: writes the rows of deliveries still awaiting theirs, and the outcomes held for a bulk
  // write, so a read sees every delivery and every outcome recorded before it.
  [[nodiscard]] Status WriteAwaitingDeliveries();
  // Every 250 ms: deliveries that have waited a second get pending rows; once none waits, and that is committed,
  // readers skip the barrier again.
  void SweepAwaitingDeliveries();

  // NotFound unless the account exists (checked in the transaction that adds something of it).
  static Status RequireAccount(Database& db, const std::string& account_id);
  // The webhook `sql` (a literal selecting HOOKD_WEBHOOK_COLUMNS) finds with ?1 = `a` and, unless empty, ?2 = `b`.
  Result<Webhook> ReadWebhook(Database& db, const char* sql, const std::string& a, const std::string& b);
  // Appends `record` to its account's chain (writer thread, in the change's transaction).
  static Status AppendAudit(Database& db, AuditRecord record);
  Status AcceptOne(Database& db, NewEvent& input, int64_t now_ms, AcceptedEvent& out, StatsDelta& stats);
  Status RecordAttempt(Database& db, const AttemptRecord& record, StatsDelta& stats, std::vector<Delivery>& noticed);
  // Disables the webhook of `record`'s delivery (410, or too many dead deliveries), with its record and notice.
  Status DisableWebhook(Database& db, const AttemptRecord& record, std::vector<Delivery>& noticed);
  Result<OperationalWebhook> ReadOperationalWebhook(Database& db, const std::string& id);
  // Notices of operational webhooks (store/operational_notices.h), each appending the deliveries it made to
  // `created`: one notice stored; and those an attempt's outcome makes.
  Status NoteAttemptOutcome(Database& db, const AttemptRecord& r, std::vector<Delivery>& created);
  // Inserts one new pending delivery of `event` to `webhook_id`, due now.
  Result<Delivery> InsertDelivery(Database& db, const Event& event, const std::string& webhook_id, int64_t now_ms,
                                  StatsDelta& stats);
  // The account's webhooks as event matching sees them (writer thread only).
  const std::vector<MatchCache::Target>& MatchTargets(Database& db, const std::string& account_id);
  void ForgetMatchTargets(const std::string& account_id);  // writer thread only
  // A job's changes to the statistics, written with those of the other jobs of its transaction (writer thread).
  void CountStats(const StatsDelta& delta);

  std::string path_;
  SecretCipher cipher_;
  const Clock& clock_;
  std::unique_ptr<GroupCommitWriter> writer_;
  AwaitingDeliveries awaiting_;  // writer thread only, except MaybeAwaiting
  std::unique_ptr<Checkpointer> checkpointer_;
  std::atomic<bool> sweeping_awaiting_{false};    // a timed write of awaiting rows is queued
  std::unique_ptr<PeriodicTask> awaiting_sweep_;  // deliveries awaiting their rows over a second get pending ones
  std::unique_ptr<PeriodicTask> key_refresh_;     // store/master_keys.h
  Mutex readers_mu_;
  std::vector<std::unique_ptr<Database>> idle_readers_ GUARDED_BY(readers_mu_);
  ThreadChecker writer_thread_;  // the group commit's thread: match_cache_, group_stats_
  MatchCache match_cache_;
  GroupStats group_stats_;  // the statistics of the transaction under way
};

template <class Fn>
auto SqliteStore::WithReader(Fn&& fn) -> decltype(fn(std::declval<Database&>())) {
  std::unique_ptr<Database> db;
  {
    MutexLock lock(&readers_mu_);
    if (!idle_readers_.empty()) {
      db = std::move(idle_readers_.back());
      idle_readers_.pop_back();
    }
  }
  if (!db) {
    auto opened = Database::Open(path_, false);
    if (!opened) return Fail(opened.error());
    db = std::move(*opened);
  }
  auto result = fn(*db);
  MutexLock lock(&readers_mu_);
  idle_readers_.push_back(std::move(db));
  return result;
}

}  // namespace hookd::sqlite
