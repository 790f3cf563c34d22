// Group commit: one writer thread owns the write connection and runs every queued write job of a moment in one
// transaction, so many concurrent API requests share a single fsync. One failing job is rolled back alone (the
// group is run again with each job in a SAVEPOINT), so a job must be safe to run twice: it may only change state
// outside the database that it resets when it starts. If the COMMIT itself fails, every job of the group is told so.
//
// Bulk jobs (Timing::kBulk) may wait up to `bulk_delay` so that many of them share one transaction: a B-tree leaf
// that each of them would otherwise rewrite in its own group is then written once for all. A job submitted later
// in the default order (kOrdered) never commits before a bulk job submitted earlier; only kIndependent jobs may.
//
// Thread-safe: Submit/Run may be called from any thread. Jobs run on the writer thread only; `done` callbacks
// run there too, after the commit, and must not block.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <thread>
#include <vector>

#include "common/metrics.h"
#include "common/mutex.h"
#include "common/result.h"
#include "common/thread_checker.h"
#include "store/sqlite/database.h"

namespace hookd::sqlite {

class GroupCommitWriter {
 public:
  // A job applies its writes and reports whether they should be kept.
  using Job = std::function<Status(Database&)>;
  using Done = std::function<void(Status)>;

  // When a job may commit.
  enum class Timing {
    kOrdered,      // in the next group, after every job queued before it, bulk ones included
    kIndependent,  // in the next group, possibly before bulk jobs queued earlier (it must not depend on them)
    kBulk,         // within `bulk_delay`, together with every other bulk job queued by then
  };

  // What the writer's owner does at the edges of each transaction, on the writer thread.
  struct Hooks {
    // A transaction begins (a group's first run, or its run again job by job): whatever jobs deferred to the
    // commit in an undone run is forgotten.
    std::function<void()> on_begin;
    // Work of jobs was undone, so caches filled from the uncommitted state can be dropped.
    std::function<void()> on_rollback;
    // The group's last writes, just before COMMIT: what its jobs deferred to be written once for all of them.
    // When it fails, the whole group fails.
    std::function<Status(Database&)> before_commit;
  };

  // `metrics`, when given, records each group's transaction time and size.
  explicit GroupCommitWriter(std::unique_ptr<Database> db, Hooks hooks = {},
                             std::chrono::milliseconds bulk_delay = std::chrono::milliseconds(0),
                             Metrics* metrics = nullptr);
  ~GroupCommitWriter();  // drains the queue, then stops

  // Queues `job`; `done` gets the job's status, or the commit's failure, once the group is durable.
  void Submit(Job job, Done done, Timing timing = Timing::kOrdered);

  // Queues `job` and blocks until its group committed. `job` fills its own result through captured state.
  [[nodiscard]] Status Run(Job job);

  // Blocks until everything queued before the call is durable.
  void Flush();

  // Whether bulk jobs are held for a group (a reader that must see them runs an ordered job first).
  [[nodiscard]] bool HoldsBulkJobs() const { return bulk_held_.load(std::memory_order_acquire) > 0; }

  // How many transactions have been committed (for tests and metrics).
  [[nodiscard]] uint64_t GroupsCommitted() const { return groups_committed_.load(); }

 private:
  using Clock = std::chrono::steady_clock;
  struct QueuedJob {
    Job job;
    Done done;
    bool ordered = true;
  };
  struct HeldJob {
    QueuedJob queued;
    Clock::time_point queued_at;
  };
  void Loop();
  // Waits for work, then moves the next group into `group`; false once stopping and drained.
  bool TakeGroup(std::vector<QueuedJob>& group) EXCLUDES(mu_);
  // Whether the oldest held bulk job has waited its `bulk_delay`.
  bool BulkDue() const REQUIRES(mu_);
  Status RunJob(QueuedJob& p);
  // Runs `group` in one transaction, filling `results`. Without `isolate_jobs`, returns false (having rolled
  // back, with `results` partial) as soon as a job fails.
  bool RunGroup(std::vector<QueuedJob>& group, std::vector<Status>& results, bool isolate_jobs);

  std::unique_ptr<Database> db_;  // used only by the writer thread
  ThreadChecker writer_thread_;
  Hooks hooks_;
  Metrics* metrics_;
  Mutex mu_;
  CondVar cv_{&mu_};
  const std::chrono::milliseconds bulk_delay_;
  std::deque<QueuedJob> queue_ GUARDED_BY(mu_);
  std::deque<HeldJob> bulk_ GUARDED_BY(mu_);   // oldest first
  size_t ordered_queued_ GUARDED_BY(mu_) = 0;  // kOrdered jobs in queue_, each of which takes bulk_ along
  bool stopping_ GUARDED_BY(mu_) = false;
  std::atomic<size_t> bulk_held_{0};  // bulk_.size(), readable without the lock
  std::atomic<uint64_t> groups_committed_{0};
  std::thread thread_;
};

}  // namespace hookd::sqlite
