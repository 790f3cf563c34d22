// A TaskRunner that runs each task at once, on the caller's thread: code that hands its blocking reads elsewhere
// then runs whole on the test's thread, deterministically.
#pragma once

#include <functional>

#include "common/task_runner.h"

namespace hookd::testing {

class InlineTaskRunner final : public TaskRunner {
 public:
  void Submit(std::function<void()> task) override { task(); }
};

}  // namespace hookd::testing
