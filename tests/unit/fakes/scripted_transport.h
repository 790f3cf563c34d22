// A Transport whose requests wait until the test answers them, oldest first. Nothing runs in the background: Poll
// returns at once, so an engine driven by RunTurn on the test's thread is deterministic. Not thread-safe.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/clock.h"
#include "delivery/transport.h"

namespace hookd::testing {

class ScriptedTransport final : public Transport {
 public:
  struct Sent {
    OutboundRequest request;
    int64_t at_ms;
  };

  explicit ScriptedTransport(const Clock& clock) : clock_(clock) {}

  void Start(OutboundRequest request, Done done) override {
    sent_.push_back({request, clock_.NowMs()});
    pending_.push_back({std::move(request), std::move(done)});
  }
  void Poll(int) override {}
  void Wakeup() override {}
  [[nodiscard]] size_t InFlight() const override { return pending_.size(); }

  // Answers the oldest request waiting with `status` and headers (names in lower case, as HttpClient gives them).
  void Answer(int status, HeaderList headers = {}) {
    ASSERT_FALSE(pending_.empty());
    auto [request, done] = std::move(pending_.front());
    pending_.erase(pending_.begin());
    OutboundResponse r;
    r.status = status;
    r.headers = std::move(headers);
    r.elapsed_ms = 3;
    done(std::move(r));
  }

  [[nodiscard]] const std::vector<Sent>& sent() const { return sent_; }
  // The value of header `name` in the `i`th request sent.
  [[nodiscard]] std::string HeaderOf(size_t i, const std::string& name) const {
    for (const auto& [k, v] : sent_.at(i).request.headers) {
      if (k == name) return v;
    }
    return "";
  }

 private:
  struct Pending {
    OutboundRequest request;
    Done done;
  };
  const Clock& clock_;
  std::vector<Pending> pending_;
  std::vector<Sent> sent_;
};

}  // namespace hookd::testing
