// The writer loop: wait for work, take everything queued (up to a cap), BEGIN, run the jobs, COMMIT, then report.
// Jobs queued while a group commits form the next group. Bulk jobs wait beside the queue until the oldest has
// waited `bulk_delay`, or an ordered job needs them committed first, and then lead the group. Savepoints cost a
// copy of every page a job touches, so the common case runs without them; only when a job fails is the group
// rolled back and run again with each job in its own savepoint, so the failing job is undone alone.
#include "store/sqlite/group_commit.h"

#include <pthread.h>

#include <vector>

#include "common/log.h"

namespace hookd::sqlite {
namespace {
constexpr size_t kMaxGroup = 4096;
}

GroupCommitWriter::GroupCommitWriter(std::unique_ptr<Database> db, Hooks hooks, std::chrono::milliseconds bulk_delay,
                                     Metrics* metrics)
    : db_(std::move(db)), hooks_(std::move(hooks)), metrics_(metrics), bulk_delay_(bulk_delay), thread_([this] {
        Loop();
      }) {}

GroupCommitWriter::~GroupCommitWriter() {
  {
    MutexLock lock(&mu_);
    stopping_ = true;
  }
  cv_.SignalAll();
  thread_.join();
}

void GroupCommitWriter::Submit(Job job, Done done, Timing timing) {
  bool wake = true;
  {
    MutexLock lock(&mu_);
    if (timing == Timing::kBulk && bulk_delay_.count() > 0) {
      wake = bulk_.empty();  // the writer learns the deadline from the oldest; later ones share it
      bulk_.push_back({{std::move(job), std::move(done), false}, Clock::now()});
      bulk_held_.store(bulk_.size(), std::memory_order_release);
    } else {
      const bool ordered = timing != Timing::kIndependent;
      ordered_queued_ += ordered;
      queue_.push_back({std::move(job), std::move(done), ordered});
    }
  }
  if (wake) cv_.Signal();
}

Status GroupCommitWriter::Run(Job job) {
  std::promise<Status> promise;
  auto future = promise.get_future();
  Submit(std::move(job), [&promise](Status st) { promise.set_value(std::move(st)); });
  return future.get();
}

void GroupCommitWriter::Flush() {
  (void)Run([](Database&) { return Ok(); });
}

void GroupCommitWriter::Loop() {
  pthread_setname_np(pthread_self(), "hookd-writer");
  writer_thread_.Bind();
  std::vector<QueuedJob> group;
  std::vector<Status> results;
  while (TakeGroup(group)) {
    results.clear();
    const auto started = Clock::now();
    if (!RunGroup(group, results, /*isolate_jobs=*/false)) {
      if (metrics_) metrics_->StoreWriteFailed();
      if (hooks_.on_rollback) hooks_.on_rollback();
      results.clear();
      (void)RunGroup(group, results, /*isolate_jobs=*/true);
    }
    if (metrics_) metrics_->StoreCommit(std::chrono::duration<double>(Clock::now() - started).count(), group.size());
    for (size_t i = 0; i < group.size(); ++i) {
      if (group[i].done) group[i].done(std::move(results[i]));
    }
    group.clear();
  }
}

bool GroupCommitWriter::BulkDue() const {
  return !bulk_.empty() && Clock::now() >= bulk_.front().queued_at + bulk_delay_;
}

bool GroupCommitWriter::TakeGroup(std::vector<QueuedJob>& group) {
  MutexLock lock(&mu_);
  while (!stopping_ && queue_.empty() && !BulkDue()) {
    if (bulk_.empty()) {
      cv_.Wait();
    } else {
      (void)cv_.WaitUntil(bulk_.front().queued_at + bulk_delay_);
    }
  }
  if (queue_.empty() && bulk_.empty()) return false;  // stopping, and drained
  if (stopping_ || ordered_queued_ > 0 || BulkDue()) {
    while (!bulk_.empty() && group.size() < kMaxGroup) {
      group.push_back(std::move(bulk_.front().queued));
      bulk_.pop_front();
    }
    bulk_held_.store(bulk_.size(), std::memory_order_release);
  }
  while (!queue_.empty() && group.size() < kMaxGroup) {
    if (queue_.front().ordered && !bulk_.empty()) break;  // a bulk job queued before it did not fit: next group
    ordered_queued_ -= queue_.front().ordered;
    group.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  return true;
}

Status GroupCommitWriter::RunJob(QueuedJob& p) {
  writer_thread_.AssertOnOwner();
  try {
    return p.job(*db_);
  } catch (const std::exception& e) {
    return Fail(Error::Internal(std::string("write failed: ") + e.what()));
  }
}

bool GroupCommitWriter::RunGroup(std::vector<QueuedJob>& group, std::vector<Status>& results, bool isolate_jobs) {
  writer_thread_.AssertOnOwner();
  const Status begin = db_->Prepare("BEGIN IMMEDIATE").Run();
  if (!begin) {
    results.assign(group.size(), begin);
    return true;
  }
  if (hooks_.on_begin) hooks_.on_begin();
  for (QueuedJob& p : group) {
    if (!isolate_jobs) {
      Status st = RunJob(p);
      if (!st) {  // the fast path is over: undo the group and run it again with each job in a savepoint
        (void)db_->Exec("ROLLBACK");
        return false;
      }
      results.push_back(std::move(st));
      continue;
    }
    (void)db_->Prepare("SAVEPOINT job").Run();
    Status st = RunJob(p);
    if (!st) {
      (void)db_->Prepare("ROLLBACK TO job").Run();
      if (hooks_.on_rollback) hooks_.on_rollback();
    }
    (void)db_->Prepare("RELEASE job").Run();
    results.push_back(std::move(st));
  }
  Status commit = hooks_.before_commit ? hooks_.before_commit(*db_) : Ok();
  if (commit) commit = db_->Prepare("COMMIT").Run();
  if (commit) {
    groups_committed_.fetch_add(1);
    return true;
  } else {
    LogError("group commit failed", {{"error", commit.error().message}});
    (void)db_->Exec("ROLLBACK");
    if (hooks_.on_rollback) hooks_.on_rollback();
    for (Status& r : results) {
      if (r) r = Fail(Error::Unavailable("the store could not commit: " + commit.error().message));
    }
    return true;
  }
}

}  // namespace hookd::sqlite
