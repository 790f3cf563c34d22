// Thread confinement made checkable: state that only one thread may touch (the engine's scheduler, the group
// commit's connection, the HTTP server's connection set) holds a ThreadChecker, and every entry point asserts it.
// The owner is the first thread that asserts (or the one Bind names). Debug and sanitizer builds check; release
// builds compile the checks away (NDEBUG).
//
//   ThreadChecker engine_thread_;
//   void Schedule() { engine_thread_.AssertOnOwner(); ... }
#pragma once

#include <atomic>
#include <cassert>
#include <thread>

namespace hookd {

class ThreadChecker {
 public:
  // Makes the calling thread the owner (e.g. at the top of the thread's loop).
  void Bind() {
#ifndef NDEBUG
    owner_.store(std::this_thread::get_id(), std::memory_order_relaxed);
#endif
  }

  void AssertOnOwner() const {
#ifndef NDEBUG
    std::thread::id expected{};
    const std::thread::id self = std::this_thread::get_id();
    // The first thread to ask becomes the owner; afterwards only it may pass.
    if (!owner_.compare_exchange_strong(expected, self, std::memory_order_relaxed)) {
      assert(expected == self && "called on a thread that does not own this state");
    }
#endif
  }

 private:
#ifndef NDEBUG
  mutable std::atomic<std::thread::id> owner_{};
#endif
};

}  // namespace hookd
