// The listener's loop: wait for notices in short slices (so a stop is prompt), act on them, and read announced work
// in batches.
#include "cluster/notice_listener.h"

#include <pthread.h>

#include <algorithm>

#include "common/log.h"

namespace hookd {
namespace {

constexpr int kWaitSliceMs = 250;
constexpr size_t kReadBatch = 5000;  // ids per read: a process that fell behind catches up in large reads

}  // namespace

NoticeListener::NoticeListener(WorkDistribution& distribution, NoticeHandlers handlers)
    : distribution_(distribution), handlers_(std::move(handlers)), thread_([this] { Loop(); }) {}

NoticeListener::~NoticeListener() {
  stopping_.store(true);
  thread_.join();
}

bool NoticeListener::WaitUntilListening(std::chrono::milliseconds timeout) {
  MutexLock lock(&mu_);
  return listening_cv_.WaitFor(timeout, [this]() NO_THREAD_SAFETY_ANALYSIS { return listening_; });
}

void NoticeListener::Loop() {
  pthread_setname_np(pthread_self(), "hookd-notices");
  bool reported_failure = false;
  std::vector<std::string> unread;  // announced work whose read failed: read again once the database answers
  while (!stopping_.load()) {
    auto notices = distribution_.WaitForNotices(kWaitSliceMs);
    if (!notices) {
      if (!reported_failure) LogWarn("cannot hear other processes' notices", {{"error", notices.error().message}});
      reported_failure = true;
      continue;
    }
    if (reported_failure) LogInfo("hearing other processes' notices again");
    reported_failure = false;
    {
      MutexLock lock(&mu_);
      if (!listening_) {
        listening_ = true;
        listening_cv_.SignalAll();
      }
    }
    if (notices->missed_some) {
      LogInfo("notices were missed; caches dropped and held shards read again");
      if (handlers_.on_missed) handlers_.on_missed();
    }
    for (const ChangeNotice& change : notices->changes) {
      if (handlers_.on_change) handlers_.on_change(change);
    }
    if (handlers_.work) {
      for (DueNotice& due : notices->due) {
        if (handlers_.holds(due.shard)) unread.push_back(std::move(due.delivery_id));
      }
    }
    if (!unread.empty() && TakeWork(unread)) unread.clear();
  }
}

bool NoticeListener::TakeWork(const std::vector<std::string>& delivery_ids) {
  for (size_t start = 0; start < delivery_ids.size(); start += kReadBatch) {
    const std::vector<std::string> batch(
        delivery_ids.begin() + static_cast<std::ptrdiff_t>(start),
        delivery_ids.begin() + static_cast<std::ptrdiff_t>(std::min(delivery_ids.size(), start + kReadBatch)));
    const uint64_t token = handlers_.work->BeginRead();
    auto due = distribution_.ReadAnnounced(batch);
    if (due) handlers_.work->EnqueueRead(token, std::move(*due));
    handlers_.work->EndRead(token);
    if (!due) {
      LogWarn("reading announced deliveries failed; trying again", {{"error", due.error().message}});
      return false;  // read again whole (what was read is not taken twice)
    }
  }
  return true;
}

}  // namespace hookd
