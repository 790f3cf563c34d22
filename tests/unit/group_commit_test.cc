// The group-commit writer against a real SQLite file: concurrent writers share transactions, a failing job is
// rolled back alone, bulk jobs wait for their delay or for an ordered job, and every committed write is visible
// to a fresh connection.
#include "store/sqlite/group_commit.h"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <memory>
#include <thread>
#include <vector>

#include "store/sqlite/database.h"
#include "test_dir.h"

namespace hookd::sqlite {
namespace {

class GroupCommitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.File("test.db");
    auto db = Database::Open(path_, false);
    ASSERT_TRUE(db.has_value());
    ASSERT_TRUE((*db)->Exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)").has_value());
    writer_ = std::make_unique<GroupCommitWriter>(std::move(*db));
  }
  void TearDown() override { writer_.reset(); }
  // Replaces the writer by one that holds bulk jobs for `delay`.
  void HoldBulkJobsFor(std::chrono::milliseconds delay) {
    writer_.reset();
    auto db = Database::Open(path_, false);
    ASSERT_TRUE(db.has_value());
    writer_ = std::make_unique<GroupCommitWriter>(std::move(*db), GroupCommitWriter::Hooks{}, delay);
  }
  // Queues an insert of row `id`; the future says when it is durable.
  std::future<Status> SubmitInsert(int id, GroupCommitWriter::Timing timing) {
    auto done = std::make_shared<std::promise<Status>>();
    writer_->Submit([id](Database& db) { return Insert(db, id); }, [done](Status st) { done->set_value(st); }, timing);
    return done->get_future();
  }
  // Occupies the writer with one job (inserting row `id`) until Release(), so jobs queued meanwhile form a group.
  class Blocker {
   public:
    Blocker(GroupCommitWriter& writer, int id) {
      thread_ = std::thread([&writer, id, this] {
        (void)writer.Run([id, this](Database& db) {
          while (!release_) std::this_thread::sleep_for(std::chrono::milliseconds(1));
          return db.Prepare("INSERT INTO t(id, v) VALUES (?, 'x')").Bind(1, id).Run();
        });
      });
      std::this_thread::sleep_for(std::chrono::milliseconds(20));  // the writer is now inside the job
    }
    void Release() {
      release_ = true;
      thread_.join();
    }

   private:
    std::atomic<bool> release_{false};
    std::thread thread_;
  };

  int64_t CountRows() {
    auto db = Database::Open(path_, false);
    auto q = (*db)->Prepare("SELECT COUNT(*) FROM t");
    return q.Step() ? q.Int(0) : -1;
  }

  static Status Insert(Database& db, int id) {
    return db.Prepare("INSERT INTO t(id, v) VALUES (?, 'x')").Bind(1, id).Run();
  }

  hookd::testing::TestDir dir_{"hookd-gc-"};
  std::string path_;
  std::unique_ptr<GroupCommitWriter> writer_;
};

TEST_F(GroupCommitTest, ConcurrentWritesShareTransactions) {
  // Hold the writer inside one job while 64 threads queue theirs: they must commit together, not one by one.
  Blocker blocker(*writer_, 0);
  const uint64_t before = writer_->GroupsCommitted();
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 1; i <= 64; ++i) {
    threads.emplace_back([&, i] {
      if (writer_->Run([i](Database& db) { return Insert(db, i); })) ++ok;
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  blocker.Release();
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok, 64);
  EXPECT_EQ(CountRows(), 65);
  EXPECT_LE(writer_->GroupsCommitted() - before, 3u);  // the blocked group, then (about) one for the rest
}

TEST_F(GroupCommitTest, AFailingJobIsRolledBackAloneWithinItsGroup) {
  Blocker blocker(*writer_, 1);
  Status good_status, bad_status;
  std::thread good([&] { good_status = writer_->Run([](Database& db) { return Insert(db, 2); }); });
  std::thread bad([&] {
    bad_status = writer_->Run([](Database& db) -> Status {
      if (auto st = Insert(db, 3); !st) return st;
      return Fail(Error::Invalid("x", "refused after writing"));  // its insert must not survive
    });
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  blocker.Release();
  good.join();
  bad.join();
  EXPECT_TRUE(good_status.has_value());
  ASSERT_FALSE(bad_status.has_value());
  EXPECT_EQ(bad_status.error().HttpStatus(), 422);
  EXPECT_EQ(CountRows(), 2);  // rows 1 and 2; row 3 rolled back to its savepoint
}

TEST_F(GroupCommitTest, FlushWaitsForQueuedAsyncWrites) {
  std::atomic<int> done{0};
  for (int i = 0; i < 100; ++i) {
    writer_->Submit([i](Database& db) { return Insert(db, i); }, [&](Status st) { done += st ? 1 : 0; });
  }
  writer_->Flush();
  EXPECT_EQ(done, 100);
  EXPECT_EQ(CountRows(), 100);
}

TEST_F(GroupCommitTest, BulkJobsWaitUntilAnOrderedJobNeedsThemButIndependentOnesDoNot) {
  using Timing = GroupCommitWriter::Timing;
  HoldBulkJobsFor(std::chrono::hours(1));
  std::future<Status> bulk = SubmitInsert(1, Timing::kBulk);
  EXPECT_TRUE(writer_->HoldsBulkJobs());

  ASSERT_TRUE(SubmitInsert(2, Timing::kIndependent).get().has_value());  // committed ahead of the bulk job
  EXPECT_EQ(bulk.wait_for(std::chrono::milliseconds(0)), std::future_status::timeout);
  EXPECT_EQ(CountRows(), 1);

  int64_t seen = -1;  // an ordered job runs after every bulk job queued before it, in the same transaction
  ASSERT_TRUE(writer_->Run([&seen](Database& db) -> Status {
    auto q = db.Prepare("SELECT COUNT(*) FROM t WHERE id = 1");
    seen = q.Step() ? q.Int(0) : -1;
    return Ok();
  }));
  EXPECT_EQ(seen, 1);
  EXPECT_EQ(bulk.wait_for(std::chrono::milliseconds(0)), std::future_status::ready);
  EXPECT_TRUE(bulk.get().has_value());
  EXPECT_FALSE(writer_->HoldsBulkJobs());
}

TEST_F(GroupCommitTest, ABulkJobCommitsOnceItsDelayHasPassed) {
  HoldBulkJobsFor(std::chrono::milliseconds(30));
  const auto start = std::chrono::steady_clock::now();
  std::future<Status> bulk = SubmitInsert(1, GroupCommitWriter::Timing::kBulk);
  ASSERT_EQ(bulk.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(30));
  EXPECT_TRUE(bulk.get().has_value());
  EXPECT_EQ(CountRows(), 1);
}

TEST_F(GroupCommitTest, StoppingCommitsTheBulkJobsStillWaiting) {
  HoldBulkJobsFor(std::chrono::hours(1));
  std::future<Status> bulk = SubmitInsert(1, GroupCommitWriter::Timing::kBulk);
  writer_.reset();
  EXPECT_TRUE(bulk.get().has_value());
  EXPECT_EQ(CountRows(), 1);
}

}  // namespace
}  // namespace hookd::sqlite
