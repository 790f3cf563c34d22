// Where work is sent to run later, off the caller's thread: a WorkerThread in production, the test's own thread
// in unit tests (tests/unit/fakes/inline_task_runner.h), so code that hands blocking reads elsewhere can still be
// tested on one thread. Submit is thread-safe and never blocks.
#pragma once

#include <functional>

namespace hookd {

class TaskRunner {
 public:
  virtual ~TaskRunner() = default;
  // Runs `task` later, in the order submitted. Tasks still queued when the runner goes may be dropped: submit only
  // work that can be redone.
  virtual void Submit(std::function<void()> task) = 0;
};

}  // namespace hookd
