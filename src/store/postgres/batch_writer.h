// Group commit for PostgreSQL: a thread with its own connection that takes everything queued since its last
// transaction and writes it in one (`write` turns the batch into a few multi-row statements). While one batch
// commits, the next gathers, so concurrent callers share round trips and one WAL flush. When the batch fails for a
// reason other than the database being unreachable, each item is written again alone, so one bad item fails alone.
// The connection is reopened whenever the server closed it. Thread-safe: Submit from any thread.
#pragma once

#include <pthread.h>

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/metrics.h"
#include "common/mutex.h"
#include "common/result.h"
#include "store/postgres/connection.h"

namespace hookd::postgres {

template <class Item>
class BatchWriter {
 public:
  // Writes `items` in the open transaction; the writer commits or rolls back.
  using Write = std::function<Status(Connection&, std::vector<Item*>&)>;
  // Tells one item how its write ended (after the commit), on the writer thread; must not block.
  using Report = std::function<void(Item&, const Status&)>;

  // `metrics`, when given, records each batch's transaction time and size.
  BatchWriter(std::string name, std::function<Result<std::unique_ptr<Connection>>()> connect, Write write,
              Report report, Metrics* metrics = nullptr)
      : connect_(std::move(connect)), write_(std::move(write)), report_(std::move(report)), metrics_(metrics) {
    thread_ = std::thread([this, name = std::move(name)] {
      pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
      Loop();
    });
  }

  ~BatchWriter() {  // writes what is queued, then stops
    {
      MutexLock lock(&mu_);
      stopping_ = true;
      cv_.SignalAll();
    }
    thread_.join();
  }

  void Submit(Item item) {
    MutexLock lock(&mu_);
    queue_.push_back(std::move(item));
    cv_.SignalAll();
  }

  // Blocks until everything submitted before the call has been written (or failed).
  void Drain() {
    MutexLock lock(&mu_);
    const uint64_t target = written_ + taken_ + queue_.size();
    while (written_ < target) cv_.Wait();
  }

 private:
  static constexpr size_t kMaxBatch = 1024;  // items per transaction; the rest form the next one

  void Loop() {
    for (;;) {
      std::vector<Item> batch;
      {
        MutexLock lock(&mu_);
        while (queue_.empty() && !stopping_) cv_.Wait();
        if (queue_.empty()) return;
        batch.reserve(queue_.size());
        while (!queue_.empty() && batch.size() < kMaxBatch) {
          batch.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
        taken_ = batch.size();
      }
      WriteBatch(batch);
      MutexLock lock(&mu_);
      written_ += taken_;
      taken_ = 0;
      cv_.SignalAll();
    }
  }

  void WriteBatch(std::vector<Item>& batch) {
    std::vector<Item*> all;
    for (Item& item : batch) all.push_back(&item);
    const auto started = std::chrono::steady_clock::now();
    Status st = WriteInTransaction(all);
    if (metrics_) {
      metrics_->StoreCommit(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(),
                            all.size());
    }
    if (!st && metrics_) metrics_->StoreWriteFailed();
    if (!st && !IsUnavailable(st.error()) && all.size() > 1) {
      for (Item* item : all) {  // find the one at fault: each alone
        std::vector<Item*> one{item};
        report_(*item, WriteInTransaction(one));
      }
      return;
    }
    for (Item* item : all) report_(*item, st);
  }

  Status WriteInTransaction(std::vector<Item*>& items) {
    if (!conn_ || !conn_->Healthy()) {
      conn_.reset();
      auto opened = connect_();
      if (!opened) return Fail(opened.error());
      conn_ = std::move(*opened);
    }
    return conn_->Transaction([&](Connection& c) { return write_(c, items); });
  }

  std::function<Result<std::unique_ptr<Connection>>()> connect_;
  Write write_;
  Report report_;
  Metrics* metrics_;
  std::unique_ptr<Connection> conn_;  // writer thread only
  Mutex mu_;
  CondVar cv_{&mu_};
  std::deque<Item> queue_ GUARDED_BY(mu_);
  uint64_t taken_ GUARDED_BY(mu_) = 0;    // items of the batch being written
  uint64_t written_ GUARDED_BY(mu_) = 0;  // items written (or failed) so far
  bool stopping_ GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace hookd::postgres
