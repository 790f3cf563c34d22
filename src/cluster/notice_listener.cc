// The listener's loop: connect and LISTEN, then wait for notices in short slices (so a stop is prompt), and on any
// failure start again after a pause.
#include "cluster/notice_listener.h"

#include <pthread.h>

#include <algorithm>

#include "common/log.h"

namespace hookd {
namespace {

constexpr int kWaitSliceMs = 250;
constexpr auto kReconnectPause = std::chrono::milliseconds(500);
constexpr size_t kReadBatch = 5000;  // ids per read: a worker that fell behind catches up in large reads

}  // namespace

NoticeListener::NoticeListener(postgres::PostgresStore& store, NoticeHandlers handlers)
    : store_(store), handlers_(std::move(handlers)), thread_([this] { Loop(); }) {}

NoticeListener::~NoticeListener() {
  stopping_.store(true);
  thread_.join();
}

bool NoticeListener::WaitUntilListening(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!listening_.load()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

void NoticeListener::Loop() {
  pthread_setname_np(pthread_self(), "hookd-notices");
  bool connected_before = false;
  bool reported_failure = false;
  std::vector<std::string> unread;  // announced work whose read failed: read again once the database answers
  while (!stopping_.load()) {
    auto conn = store_.OpenKeyedConnection();
    Status listening = conn ? (*conn)->ExecOnce(std::string("LISTEN ") + postgres::kChangeChannel) : Fail(conn.error());
    if (listening && handlers_.work) listening = (*conn)->ExecOnce(std::string("LISTEN ") + postgres::kWorkChannel);
    if (!listening) {
      if (!reported_failure) LogWarn("cannot listen for notices", {{"error", listening.error().message}});
      reported_failure = true;
      std::this_thread::sleep_for(kReconnectPause);
      continue;
    }
    if (connected_before) {
      LogInfo("listening for notices again; caches dropped and held shards read again");
      if (handlers_.on_reconnect) handlers_.on_reconnect();
    }
    connected_before = true;
    listening_.store(true);
    reported_failure = false;
    while (!stopping_.load()) {
      if (!unread.empty() && TakeWork(**conn, unread)) unread.clear();
      auto notices = (*conn)->WaitForNotifications(kWaitSliceMs);
      if (!notices) {
        LogWarn("lost the notice connection", {{"error", notices.error().message}});
        break;
      }
      for (const postgres::Notification& n : *notices) {
        if (n.channel == postgres::kChangeChannel) {
          if (auto change = postgres::ParseChangeNotice(n.payload); change && handlers_.on_change) {
            handlers_.on_change(*change);
          }
        } else if (n.channel == postgres::kWorkChannel && handlers_.work) {
          auto work = postgres::ParseWorkNotice(n.payload);
          // This process's own notices: its API handed that work to its engine directly.
          if (!work || work->sender == store_.process_id()) continue;
          for (postgres::DueNotice& due : work->deliveries) {
            if (handlers_.holds(due.shard)) unread.push_back(std::move(due.delivery_id));
          }

        }
      }
      if (!unread.empty() && TakeWork(**conn, unread)) unread.clear();
    }
  }
}

bool NoticeListener::TakeWork(postgres::Connection& conn, const std::vector<std::string>& delivery_ids) {
  for (size_t start = 0; start < delivery_ids.size(); start += kReadBatch) {
    const std::vector<std::string> batch(
        delivery_ids.begin() + static_cast<std::ptrdiff_t>(start),
        delivery_ids.begin() + static_cast<std::ptrdiff_t>(std::min(delivery_ids.size(), start + kReadBatch)));
    const uint64_t token = handlers_.work->BeginRead();
    auto due = store_.ReadUnfinishedDeliveries(conn, batch);
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
