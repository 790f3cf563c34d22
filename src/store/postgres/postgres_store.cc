// PostgreSQL store: opening (migrations, partitions, the master key check), the two batch writers, the in-doubt check.
// Queries are string literals, prepared once per connection. Reads and API writes take a pooled connection; events and
// attempt outcomes are written by the batch writers. The operations themselves are in the files beside this one,
// by noun.
#include "store/postgres/postgres_store.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include "common/log.h"
#include "crypto/encoding.h"
#include "crypto/signing.h"
#include "store/postgres/migrations.h"
#include "store/postgres/partitions.h"
#include "store/postgres/work_distribution.h"

namespace hookd::postgres {

Result<std::unique_ptr<PostgresStore>> PostgresStore::Open(const std::string& url, const std::string& master_key,
                                                           int pool_size, Metrics* metrics, const Clock& clock,
                                                           int64_t retention_ms, const DatabasePooling& pooling) {
  if (master_key.size() != 32) return Fail(Error::Unavailable("master key must be 32 bytes"));
  // Migrations and the first partitions are made on a session of hookd's own.
  auto conn = Connection::Open(pooling.transaction_mode ? pooling.direct_url : url);
  if (!conn) return Fail(conn.error());
  if (auto st = ApplyMigrations(**conn, clock.NowMs()); !st) return Fail(st.error());
  // Waits its turn when another process is making partitions, so ids made from now on have somewhere to go.
  for (int tries = 0;; ++tries) {
    auto reached = EnsurePartitions(**conn, clock.NowMs(), PartitionWidthFor(retention_ms));
    if (!reached) return Fail(reached.error());
    if (*reached > 0 || tries == 50) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  auto store = std::unique_ptr<PostgresStore>(new PostgresStore(url, master_key, pool_size, metrics, clock, pooling));
  // Every process on one database must hold the key its secrets are sealed under, or each would fail to read the
  // others' webhooks: a process without it is refused at start instead of failing on every webhook later.
  auto keys = store->ReadMasterKeys(SecretCipher::CheckOf(master_key));
  if (!keys) return Fail(keys.error());
  if (auto st = CheckMasterKey(store->cipher_, *keys); !st) return Fail(st.error());
  store->key_refresh_ = StartKeyRefresh(*store, store->cipher_);
  return store;
}

PostgresStore::PostgresStore(std::string url, std::string master_key, int pool_size, Metrics* metrics,
                             const Clock& clock, const DatabasePooling& pooling)
    : cipher_(std::move(master_key)),
      clock_(clock),
      backend_(std::make_shared<Backend>(std::move(url), pool_size, pooling)),
      pool_(backend_->pool()) {
  auto connect = [backend = backend_] { return backend->OpenKeyedConnection(); };
  accept_writer_ = std::make_unique<BatchWriter<AcceptJob>>(
      "hookd-pg-accept", connect,
      [this](Connection& c, std::vector<AcceptJob*>& jobs) { return WriteAccepts(c, jobs); },
      [this](AcceptJob& job, const Status& st) {
        if (!st && IsUnavailable(st.error()) && !job.events.empty()) {
          // The commit may have reached the database before the connection dropped: look again once it answers.
          int64_t since = job.events.front().event.created_at_ms;
          for (const NewEvent& e : job.events) since = std::min(since, e.event.created_at_ms);
          int64_t current = in_doubt_since_ms_.load();
          while ((current == 0 || since < current) && !in_doubt_since_ms_.compare_exchange_weak(current, since)) {
          }
        }
        if (!job.done) return;
        if (!st) return job.done(Fail(st.error()));
        job.done(std::move(job.accepted));
      },
      metrics);
  // With no new events to write, recovery still runs: an empty job makes the accept writer look.
  in_doubt_check_ = std::make_unique<PeriodicTask>("hookd-pg-doubt", std::chrono::seconds(1), [this](PeriodicTask&) {
    if (in_doubt_since_ms_.load() != 0) accept_writer_->Submit(AcceptJob{});
  });
  outcome_writer_ = std::make_unique<BatchWriter<OutcomeJob>>(
      "hookd-pg-outcome", connect,
      [this](Connection& c, std::vector<OutcomeJob*>& jobs) { return WriteOutcomes(c, jobs); },
      [this](OutcomeJob& job, const Status& st) {
        if (st) HandNewDeliveries(std::move(job.noticed));
        if (job.done) job.done(st, st ? std::move(job.refused) : std::vector<size_t>{});
        if (!st && job.health) {
          LogWarn("recording a webhook's circuit failed",
                  {{"webhook_id", job.health->webhook_id}, {"error", st.error().message}});
        }
      },
      metrics);
}

PostgresStore::~PostgresStore() {
  key_refresh_.reset();
  in_doubt_check_.reset();
  accept_writer_.reset();
  outcome_writer_.reset();
}

Result<std::unique_ptr<WorkDistribution>> PostgresStore::OpenWorkDistribution(const WorkerIdentity& worker,
                                                                              const Clock& clock) {
  return std::unique_ptr<WorkDistribution>(std::make_unique<PostgresWorkDistribution>(backend_, worker, clock));
}

void PostgresStore::Flush() {
  accept_writer_->Drain();
  outcome_writer_->Drain();
}

}  // namespace hookd::postgres
