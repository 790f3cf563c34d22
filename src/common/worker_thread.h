// One named background thread that runs submitted tasks in order. The destructor lets the running task finish and
// drops the rest (tasks are work that can be redone, such as reads; a shutdown must not wait for a queue of them).
//
//   WorkerThread loads("hookd-loader");
//   loads.Submit([&] { ... });
#pragma once

#include <pthread.h>

#include <deque>
#include <functional>
#include <string>
#include <thread>

#include "common/mutex.h"
#include "common/task_runner.h"

namespace hookd {

class WorkerThread final : public TaskRunner {
 public:
  explicit WorkerThread(std::string name) : name_(std::move(name)), thread_([this] { Loop(); }) {}
  ~WorkerThread() override {
    {
      MutexLock lock(&mu_);
      stopping_ = true;
      tasks_.clear();
    }
    cv_.SignalAll();
    thread_.join();
  }
  WorkerThread(const WorkerThread&) = delete;
  WorkerThread& operator=(const WorkerThread&) = delete;

  void Submit(std::function<void()> task) override {
    {
      MutexLock lock(&mu_);
      tasks_.push_back(std::move(task));
    }
    cv_.Signal();
  }

 private:
  void Loop() {
    pthread_setname_np(pthread_self(), name_.substr(0, 15).c_str());
    for (;;) {
      std::function<void()> task;
      {
        MutexLock lock(&mu_);
        while (tasks_.empty() && !stopping_) cv_.Wait();
        if (stopping_) return;
        task = std::move(tasks_.front());
        tasks_.pop_front();
      }
      task();
    }
  }

  std::string name_;
  Mutex mu_;
  CondVar cv_{&mu_};
  std::deque<std::function<void()>> tasks_ GUARDED_BY(mu_);
  bool stopping_ GUARDED_BY(mu_) = false;
  std::thread thread_;  // last: starts after the members it uses
};

}  // namespace hookd
