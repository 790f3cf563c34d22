// SQLite store: opening, the writer and its sweep of awaiting deliveries, the read barrier. Reads go to pooled read
// connections; every write is a job on the group-commit writer. Queries are string literals so each is prepared
// once per connection. The operations themselves are in the files beside this one, by noun.
#include "store/sqlite/sqlite_store.h"

#include <algorithm>
#include <filesystem>
#include <optional>

#include "store/local_work_distribution.h"
#include "store/sqlite/migrations.h"
#include "store/sqlite/stats.h"

namespace hookd::sqlite {
namespace {

// How long an accepted delivery may go without its own row (its first outcome usually writes it within
// milliseconds); after that it gets a pending row, so the awaiting table and the map stay small.
constexpr int64_t kDeliveryRowDelayMs = 1000;

}  // namespace

Result<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::string& path, const std::string& master_key,
                                                       std::chrono::milliseconds outcome_batch_delay, Metrics* metrics,
                                                       const Clock& clock) {
  if (master_key.size() != 32) return Fail(Error::Unavailable("master key must be 32 bytes"));
  if (auto parent = std::filesystem::path(path).parent_path(); !parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
  }
  auto db = Database::Open(path, false);
  if (!db) return Fail(db.error());
  if (auto st = ApplyMigrations(**db, clock.NowMs()); !st) return Fail(st.error());
  // Checkpoints run on their own thread and connection, off the writer's critical path. But under sustained load
  // that checkpointer never catches up with the last commit, and only then can SQLite reuse the WAL from its start:
  // it would grow for as long as the load lasts. So the writer also checkpoints once the WAL holds 8192 pages (128 MiB
  // at 16 KiB pages); it copies only the little the background pass has not, and the next transaction restarts the WAL.
  if (auto st = (*db)->Exec("PRAGMA wal_autocheckpoint=8192"); !st) return Fail(st.error());
  auto checkpoint_db = Database::Open(path, false);
  if (!checkpoint_db) return Fail(checkpoint_db.error());
  auto store = std::unique_ptr<SqliteStore>(
      new SqliteStore(path, master_key, std::move(*db), outcome_batch_delay, metrics, clock));
  store->checkpointer_ = std::make_unique<Checkpointer>(std::move(*checkpoint_db));
  auto keys = store->ReadMasterKeys(SecretCipher::CheckOf(master_key));
  if (!keys) return Fail(keys.error());
  if (auto st = CheckMasterKey(store->cipher_, *keys); !st) return Fail(st.error());
  store->key_refresh_ = StartKeyRefresh(*store, store->cipher_);
  // After a crash, deliveries accepted but not yet written get their pending rows before anything reads them.
  if (auto st = store->WriteAwaitingDeliveries(); !st) return Fail(st.error());
  SqliteStore* self = store.get();
  store->awaiting_sweep_ = std::make_unique<PeriodicTask>("hookd-awaiting", std::chrono::milliseconds(250),
                                                          [self](PeriodicTask&) { self->SweepAwaitingDeliveries(); });
  return store;
}

SqliteStore::SqliteStore(std::string path, std::string master_key, std::unique_ptr<Database> write_db,
                         std::chrono::milliseconds outcome_batch_delay, Metrics* metrics, const Clock& clock)
    : path_(std::move(path)),
      cipher_(std::move(master_key)),
      clock_(clock),
      // A rolled-back group may have filled the match cache from rows that never existed, and the map of
      // deliveries awaiting their rows no longer matches the database. The statistics the group's jobs counted
      // are written once, as the group's last statement.
      writer_(std::make_unique<GroupCommitWriter>(
          std::move(write_db),
          GroupCommitWriter::Hooks{.on_begin = [this] { group_stats_.Clear(); },
                                   .on_rollback =
                                       [this] {
                                         match_cache_.Clear();
                                         awaiting_.OnRollback();
                                       },
                                   .before_commit = [this](Database& db) { return group_stats_.Write(db); }},
          outcome_batch_delay, metrics)) {}

void SqliteStore::CountStats(const StatsDelta& delta) {
  writer_thread_.AssertOnOwner();
  group_stats_.Count(delta);
}

SqliteStore::~SqliteStore() {
  key_refresh_.reset();
  awaiting_sweep_.reset();
  writer_.reset();
  checkpointer_.reset();
}

void SqliteStore::SweepAwaitingDeliveries() {
  if (!awaiting_.MaybeAwaiting() || sweeping_awaiting_.exchange(true)) return;
  auto emptied_as_of = std::make_shared<std::optional<uint64_t>>();
  writer_->Submit(
      [this, emptied_as_of](Database& db) -> Status {
        emptied_as_of->reset();
        const uint64_t changes = awaiting_.Changes();
        if (auto st = awaiting_.WriteAwaitingAsPending(db, clock_.NowMs() - kDeliveryRowDelayMs); !st) return st;
        auto left = awaiting_.AnyAwaiting(db);
        if (!left) return Fail(left.error());
        if (!*left) *emptied_as_of = changes;
        return Ok();
      },
      [this, emptied_as_of](const Status& st) {
        if (st && *emptied_as_of) awaiting_.WrittenThrough(**emptied_as_of);  // committed, and nothing waits
        sweeping_awaiting_.store(false);
      });
}

Status SqliteStore::WriteAwaitingDeliveries() {
  // Skipped only when no delivery lacks its row and no outcome is held for a bulk write (the job below, being
  // ordered, commits those first).
  if (!awaiting_.MaybeAwaiting() && !writer_->HoldsBulkJobs()) return Ok();
  uint64_t changes = 0;
  if (auto st = writer_->Run([this, &changes](Database& db) {
        changes = awaiting_.Changes();
        return awaiting_.WriteAwaitingAsPending(db);
      });
      !st) {
    return st;
  }
  awaiting_.WrittenThrough(changes);  // committed: readers may skip the barrier until the next addition
  return Ok();
}

void SqliteStore::Flush() {
  writer_->Flush();
}

Result<std::unique_ptr<WorkDistribution>> SqliteStore::OpenWorkDistribution(const WorkerIdentity&, const Clock&) {
  return std::unique_ptr<WorkDistribution>(std::make_unique<LocalWorkDistribution>(*this));
}

}  // namespace hookd::sqlite
