// A named background thread that runs a task every interval until destroyed. The task can pause inside its run
// with Pause(), which returns false as soon as the owner is stopping, so long runs end promptly.
//
//   PeriodicTask checkpoints("hookd-checkpoint", std::chrono::milliseconds(100), [&](PeriodicTask&) { ... });
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <thread>

#include "common/mutex.h"

namespace hookd {

class PeriodicTask {
 public:
  using Task = std::function<void(PeriodicTask&)>;

  // Starts the thread; the first run happens one interval from now. `run_on_stop` runs the task once more
  // when stopping (e.g. a final checkpoint).
  PeriodicTask(std::string name, std::chrono::milliseconds interval, Task task, bool run_on_stop = false);
  ~PeriodicTask();  // stops and joins
  PeriodicTask(const PeriodicTask&) = delete;
  PeriodicTask& operator=(const PeriodicTask&) = delete;

  // Sleeps up to `duration`; false when the task is being stopped (the caller should return).
  bool Pause(std::chrono::milliseconds duration);

 private:
  void Loop();

  std::string name_;
  std::chrono::milliseconds interval_;
  Task task_;
  bool run_on_stop_;
  Mutex mu_;
  CondVar cv_{&mu_};
  bool stopping_ GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace hookd
