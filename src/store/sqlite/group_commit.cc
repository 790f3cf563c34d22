// The writer loop: wait for work, take everything queued (up to a cap), BEGIN, run each job in a savepoint,
// COMMIT, then report. Jobs queued while a group commits form the next group.
#include <pthread.h>
#include "store/sqlite/group_commit.h"

#include <vector>

#include "common/log.h"

namespace hookd::sqlite {
namespace {
constexpr size_t kMaxGroup = 4096;
}

GroupCommitWriter::GroupCommitWriter(std::unique_ptr<Database> db)
    : db_(std::move(db)), thread_([this] { Loop(); }) {}

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
    Status begin = db_->Prepare("BEGIN IMMEDIATE").Run();
    for (Pending& p : group) {
      if (!begin) {
        results.push_back(begin);
        continue;
      }
      (void)db_->Prepare("SAVEPOINT job").Run();
      Status st;
      try {
        st = p.job(*db_);
      } catch (const std::exception& e) {
        st = Fail(Error::Internal(std::string("write failed: ") + e.what()));
      }
      if (!st) (void)db_->Prepare("ROLLBACK TO job").Run();
      (void)db_->Prepare("RELEASE job").Run();
      results.push_back(std::move(st));
    }
    if (begin) {
      if (Status commit = db_->Prepare("COMMIT").Run(); commit) {
        groups_committed_.fetch_add(1);
      } else {
        LogError("group commit failed", {{"error", commit.error().message}});
        (void)db_->Exec("ROLLBACK");
        for (Status& r : results) {
          if (r) r = Fail(Error::Unavailable("the store could not commit: " + commit.error().message));
        }
      }
    }
    for (size_t i = 0; i < group.size(); ++i) {
      if (group[i].done) group[i].done(std::move(results[i]));
    }
    group.clear();
  }
}

}  // namespace hookd::sqlite
