// Every 100 ms: a PASSIVE checkpoint copies what it can of the WAL into the database file. When readers or the
// writer hold it back, the next round continues; the WAL is reused from its start once fully checkpointed.
#include "store/sqlite/checkpointer.h"

#include <pthread.h>

#include "common/log.h"

namespace hookd::sqlite {
namespace {
constexpr auto kInterval = std::chrono::milliseconds(100);
}

Checkpointer::Checkpointer(std::unique_ptr<Database> db) : db_(std::move(db)), thread_([this] { Loop(); }) {}

Checkpointer::~Checkpointer() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void Checkpointer::Loop() {
  pthread_setname_np(pthread_self(), "hookd-checkpoint");
  for (;;) {
    bool stopping;
    {
      std::unique_lock lock(mu_);
      stopping = cv_.wait_for(lock, kInterval, [this] { return stopping_; });
    }
    if (auto st = db_->Exec("PRAGMA wal_checkpoint(PASSIVE)"); !st) {
      LogWarn("WAL checkpoint failed", {{"error", st.error().message}});
    }
    if (stopping) return;
  }
}

}  // namespace hookd::sqlite
