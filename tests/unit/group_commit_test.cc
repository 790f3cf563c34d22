// The group-commit writer against a real SQLite file: concurrent writers share transactions, a failing job is
// rolled back alone, and every committed write is visible to a fresh connection.
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "store/sqlite/database.h"
#include "store/sqlite/group_commit.h"
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

  hookd::testing::TestDir dir_{"hookd-gc-"};
  std::string path_;
  std::unique_ptr<GroupCommitWriter> writer_;
};

Status Insert(Database& db, int id) {
  return db.Prepare("INSERT INTO t(id, v) VALUES (?, 'x')").Bind(1, id).Run();
}

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

}  // namespace
}  // namespace hookd::sqlite
