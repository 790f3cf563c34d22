// The thread is started last in the constructor, after every member it reads is initialised.
#include "common/periodic_task.h"

#include <pthread.h>

namespace hookd {

PeriodicTask::PeriodicTask(std::string name, std::chrono::milliseconds interval, Task task, bool run_on_stop)
    : name_(std::move(name)), interval_(interval), task_(std::move(task)), run_on_stop_(run_on_stop) {
  thread_ = std::thread([this] { Loop(); });
}

PeriodicTask::~PeriodicTask() {
  {
    MutexLock lock(&mu_);
    stopping_ = true;
  }
  cv_.SignalAll();
  thread_.join();
}

bool PeriodicTask::Pause(std::chrono::milliseconds duration) {
  const auto deadline = std::chrono::steady_clock::now() + duration;
  MutexLock lock(&mu_);
  while (!stopping_ && cv_.WaitUntil(deadline)) {
  }
  return !stopping_;
}

void PeriodicTask::Loop() {
  pthread_setname_np(pthread_self(), name_.substr(0, 15).c_str());
  while (Pause(interval_)) task_(*this);
  if (run_on_stop_) task_(*this);
}

}  // namespace hookd
