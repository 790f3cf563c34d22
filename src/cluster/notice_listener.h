// Listens for the notices processes sharing one PostgreSQL send each other (store/postgres/notices.h), on a
// connection of its own, which also reads what they announce. Work notices (for workers) are filtered to the shards this worker holds, and what they
// announce is read, with the events, in one query per wake-up and handed to the engine. Change notices go to
// `on_change`. When the connection is lost, notices sent meanwhile are gone: once it is back, `on_reconnect` runs
// so that every cache is dropped and every held shard read again.
//
// Thread-safe: everything runs on the listener's own thread.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "delivery/delivery_work.h"
#include "store/postgres/notices.h"
#include "store/postgres/postgres_store.h"

namespace hookd {

struct NoticeHandlers {
  // Workers only: whether this process runs `shard` now, and where announced work goes. Null for an API process.
  std::function<bool(int shard)> holds;
  DeliveryWork* work = nullptr;
  std::function<void(const postgres::ChangeNotice&)> on_change;
  std::function<void()> on_reconnect;
};

class NoticeListener {
 public:
  NoticeListener(postgres::PostgresStore& store, NoticeHandlers handlers);
  ~NoticeListener();  // stops and joins
  // Waits up to `timeout` for the first LISTEN to be in place; false if it is not yet.
  bool WaitUntilListening(std::chrono::milliseconds timeout);
  NoticeListener(const NoticeListener&) = delete;
  NoticeListener& operator=(const NoticeListener&) = delete;

 private:
  void Loop();
  // Reads the announced deliveries of held shards and hands them to the engine; false when the read failed.
  bool TakeWork(postgres::Connection& conn, const std::vector<std::string>& delivery_ids);

  postgres::PostgresStore& store_;
  NoticeHandlers handlers_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> listening_{false};
  std::thread thread_;
};

}  // namespace hookd
