// The writer loop: wait for work, take everything queued (up to a cap), BEGIN, run the jobs, COMMIT, then report.
// Jobs queued while a group commits form the next group. Savepoints cost a copy of every page a job touches, so
// the common case runs without them; only when a job fails is the group rolled back and run again with each job
// in its own savepoint, so the failing job is undone alone.
#include "store/sqlite/group_commit.h"

#include <pthread.h>

#include <vector>

#include "common/log.h"

namespace hookd::sqlite {
namespace {
constexpr size_t kMaxGroup = 4096;
}

GroupCommitWriter::GroupCommitWriter(std::unique_ptr<Database> db, std::function<void()> on_rollback)
    : db_(std::move(db)), on_rollback_(std::move(on_rollback)), thread_([this] { Loop(); }) {}

GroupCommitWriter::~GroupCommitWriter() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void GroupCommitWriter::Submit(Job job, Done done) {
  {
    std::lock_guard lock(mu_);
    queue_.push_back({std::move(job), std::move(done)});
  }
  cv_.notify_one();
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
  std::vector<Pending> group;
  std::vector<Status> results;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and drained
      while (!queue_.empty() && group.size() < kMaxGroup) {
        group.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    results.clear();
    if (!RunGroup(group, results, /*isolate_jobs=*/false)) {
      if (on_rollback_) on_rollback_();
      results.clear();
      (void)RunGroup(group, results, /*isolate_jobs=*/true);
    }
    for (size_t i = 0; i < group.size(); ++i) {
      if (group[i].done) group[i].done(std::move(results[i]));
    }
    group.clear();
  }
}

Status GroupCommitWriter::RunJob(Pending& p) {
  try {
    return p.job(*db_);
  } catch (const std::exception& e) {
    return Fail(Error::Internal(std::string("write failed: ") + e.what()));
  }
}

bool GroupCommitWriter::RunGroup(std::vector<Pending>& group, std::vector<Status>& results, bool isolate_jobs) {
  const Status begin = db_->Prepare("BEGIN IMMEDIATE").Run();
  if (!begin) {
    results.assign(group.size(), begin);
    return true;
  }
  for (Pending& p : group) {
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
      if (on_rollback_) on_rollback_();
    }
    (void)db_->Prepare("RELEASE job").Run();
    results.push_back(std::move(st));
  }
  if (Status commit = db_->Prepare("COMMIT").Run(); commit) {
    groups_committed_.fetch_add(1);
    return true;
  } else {
    LogError("group commit failed", {{"error", commit.error().message}});
    (void)db_->Exec("ROLLBACK");
    if (on_rollback_) on_rollback_();
    for (Status& r : results) {
      if (r) r = Fail(Error::Unavailable("the store could not commit: " + commit.error().message));
    }
    return true;
  }
}

}  // namespace hookd::sqlite
