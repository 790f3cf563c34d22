// Hears what the other processes announce (store/work_distribution.h) on a thread of its own. Due work (for a
// process that delivers) is filtered to the shards it holds, read with its events in one query per wake-up and
// handed to the engine; changes go to `on_change`. When notices were missed (the channel was lost), `on_missed`
// runs, so that every cache is dropped and every held shard read again.
//
// Thread-safe: everything runs on the listener's own thread.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "common/mutex.h"
#include "delivery/delivery_work.h"
#include "store/work_distribution.h"

namespace hookd {

struct NoticeHandlers {
  // A process that delivers: whether it runs `shard` now, and where announced work goes. Null otherwise.
  std::function<bool(int shard)> holds;
  DeliveryWork* work = nullptr;
  std::function<void(const ChangeNotice&)> on_change;
  std::function<void()> on_missed;
};

class NoticeListener {
 public:
  NoticeListener(WorkDistribution& distribution, NoticeHandlers handlers);
  ~NoticeListener();  // stops and joins
  NoticeListener(const NoticeListener&) = delete;
  NoticeListener& operator=(const NoticeListener&) = delete;

  // Waits up to `timeout` until notices are heard; false if they are not yet.
  bool WaitUntilListening(std::chrono::milliseconds timeout);

 private:
  void Loop();
  // Reads the announced deliveries and hands them to the engine; false when the read failed.
  bool TakeWork(const std::vector<std::string>& delivery_ids);

  WorkDistribution& distribution_;
  NoticeHandlers handlers_;
  std::atomic<bool> stopping_{false};
  Mutex mu_;
  CondVar listening_cv_{&mu_};
  bool listening_ GUARDED_BY(mu_) = false;
  std::thread thread_;  // last: starts after the members it uses
};

}  // namespace hookd
