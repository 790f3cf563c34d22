// The delivery engine's rules, turn by turn, with a clock the test moves and a transport whose responses the test
// gives: the retry schedule and its jitter, Retry-After, the rate limit, the concurrency cap, the circuit breaker,
// strict order, auto-disable and 410; sharded, the lease gate and what a lost shard or a stale read may not do.
// No sleeps and no sockets; the store is a real SQLite file, read and written
// on the store's and the engine loader's threads as in production, so each step runs turns until it has settled.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>

#include "common/ids.h"
#include "common/mutex.h"
#include "delivery/engine.h"
#include "store/sqlite/sqlite_store.h"
#include "test_dir.h"

namespace hookd {
namespace {

class FakeClock final : public Clock {
 public:
  [[nodiscard]] int64_t NowMs() const override { return now_ms_.load(); }
  void Advance(int64_t ms) { now_ms_ += ms; }

 private:
  std::atomic<int64_t> now_ms_{1'900'000'000'000};
};

// Requests wait until the test answers them. Poll waits (in real time, briefly) only for a wakeup: the results of
// the store and the loader arrive as posted tasks.
class ScriptedTransport final : public Transport {
 public:
  struct Sent {
    OutboundRequest request;
    int64_t at_ms;
  };

  explicit ScriptedTransport(const FakeClock& clock) : clock_(clock) {}

  void Start(OutboundRequest request, Done done) override {
    sent_.push_back({request, clock_.NowMs()});
    pending_.push_back({std::move(request), std::move(done)});
  }
  void Poll(int timeout_ms) override {
    MutexLock lock(&mu_);
    if (!woken_) woken_cv_.WaitUntil(std::chrono::steady_clock::now() + std::chrono::milliseconds(std::min(timeout_ms, 5)));
    woken_ = false;
  }
  void Wakeup() override {
    MutexLock lock(&mu_);
    woken_ = true;
    woken_cv_.Signal();
  }
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

 private:
  struct Pending {
    OutboundRequest request;
    Done done;
  };
  const FakeClock& clock_;
  std::vector<Pending> pending_;  // engine thread (the test's) only
  std::vector<Sent> sent_;
  Mutex mu_;
  CondVar woken_cv_{&mu_};
  bool woken_ GUARDED_BY(mu_) = false;
};

// The engine's options with `schedule` as the retry schedule and at most `per_webhook` attempts in flight per webhook.
EngineOptions Options(std::vector<int64_t> schedule, int per_webhook = 32) {
  EngineOptions options;
  options.retry_schedule_ms = std::move(schedule);
  options.max_in_flight_per_webhook = per_webhook;
  return options;
}

std::string HeaderOf(const OutboundRequest& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "";
}

class EngineRules : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = sqlite::SqliteStore::Open(dir_.File("hookd.db"), std::string(32, 'k'), outcome_batch_delay_);
    ASSERT_TRUE(opened.has_value()) << opened.error().message;
    store_ = std::move(*opened);
    alerter_ = std::make_unique<Alerter>(*store_, SmtpSettings{});
    account_ = NewId("acc_");
    ASSERT_TRUE(store_->CreateAccount(Account{account_, "acme", "ops@acme.test", 1, 1}).has_value());
  }

  void StartEngine(EngineOptions options) {
    options.random_seed = 42;
    auto transport = std::make_unique<ScriptedTransport>(clock_);
    transport_ = transport.get();
    engine_ = std::make_unique<DeliveryEngine>(*store_, *alerter_, std::move(options), metrics_, std::move(transport),
                                               clock_);
    ASSERT_TRUE(engine_->StartManual().has_value());
  }

  void TearDown() override {
    if (engine_) {
      engine_->Stop();
      while (engine_->RunTurn(0)) clock_.Advance(60'000);  // past the wait for attempts still in flight
      store_->Flush();  // the last turn's outcomes, whose callbacks reach the engine: before it goes
    }
  }

  std::string NewWebhook(int rate_limit = 100, bool ordered = false) {
    Webhook w;
    w.id = NewId("wh_");
    w.account_id = account_;
    w.url = "https://receiver.example/hooks";
    w.events = {"*"};
    w.rate_limit = rate_limit;
    w.ordered = ordered;
    w.secret = "whsec_c3RvcmVjb25mb3JtYW5jZXNlY3JldGtleTAxMjM0NTY3";
    w.created_at_ms = w.updated_at_ms = clock_.NowMs();
    auto created = store_->CreateWebhook(w, 100);
    EXPECT_TRUE(created.has_value());
    return w.id;
  }

  // Accepts `n` events and hands their deliveries to the engine, as the API does after the commit.
  std::vector<AcceptedEvent> Emit(int n) {
    auto accepted = Accept(n);
    engine_->Enqueue(accepted);
    return accepted;
  }
  // Accepts `n` events into the store only (an engine started later resumes their deliveries).
  std::vector<AcceptedEvent> Accept(int n) {
    std::vector<NewEvent> events;
    for (int i = 0; i < n; ++i) {
      NewEvent e;
      e.event = Event{NewId("evt_"), account_, "task.completed", "production", "{\"i\":" + std::to_string(i) + "}",
                      "", clock_.NowMs()};
      events.push_back(std::move(e));
    }
    std::promise<Result<std::vector<AcceptedEvent>>> done;
    store_->AcceptEventsAsync(std::move(events), [&](auto r) { done.set_value(std::move(r)); });
    auto accepted = done.get_future().get();
    EXPECT_TRUE(accepted.has_value());
    return *accepted;
  }

  // Runs turns until `done()` holds (the store's and the loader's answers arrive on their own threads).
  template <class Pred>
  bool RunUntil(Pred done, int max_turns = 2000) {
    for (int i = 0; i < max_turns; ++i) {
      if (done()) return true;
      engine_->RunTurn(5);
    }
    return done();
  }
  // Runs enough turns for anything already due to happen.
  void Settle() {
    store_->Flush();
    for (int i = 0; i < 20; ++i) engine_->RunTurn(1);
  }

  size_t SentCount() const { return transport_->sent().size(); }
  // Answers the oldest waiting attempt and lets its outcome become durable.
  void Answer(int status, HeaderList headers = {}) {
    transport_->Answer(status, std::move(headers));
    Settle();
  }
  DeliveryStatus StatusOf(const Delivery& d) {
    store_->Flush();
    auto read = store_->GetDelivery(account_, d.id);
    EXPECT_TRUE(read.has_value());
    return read ? read->status : DeliveryStatus::kPending;
  }

  std::chrono::milliseconds outcome_batch_delay_{0};  // how long the store may hold outcomes to write them together
  testing::TestDir dir_{"hookd-engine-rules-"};
  FakeClock clock_;
  Metrics metrics_;
  std::unique_ptr<sqlite::SqliteStore> store_;
  std::unique_ptr<Alerter> alerter_;
  std::unique_ptr<DeliveryEngine> engine_;
  ScriptedTransport* transport_ = nullptr;
  std::string account_;
};

TEST_F(EngineRules, RetriesFollowTheScheduleWithinItsJitterThenTheDeliveryIsDead) {
  StartEngine(Options({10'000, 60'000}));
  NewWebhook();
  auto accepted = Emit(1);
  ASSERT_TRUE(RunUntil([&] { return SentCount() == 1; }));
  EXPECT_EQ(HeaderOf(transport_->sent()[0].request, "X-Webhook-Attempt"), "1");
  Answer(500);
  clock_.Advance(8'999);  // the earliest retry is at 9 s (10 s − 10 %)
  Settle();
  EXPECT_EQ(SentCount(), 1u);
  clock_.Advance(2'002);  // the latest is at 11 s
  ASSERT_TRUE(RunUntil([&] { return SentCount() == 2; }));
  EXPECT_EQ(HeaderOf(transport_->sent()[1].request, "X-Webhook-Attempt"), "2");
  EXPECT_EQ(StatusOf(accepted[0].deliveries[0]), DeliveryStatus::kFailed);
  Answer(503);
  clock_.Advance(53'999);
  Settle();
  EXPECT_EQ(SentCount(), 2u);
  clock_.Advance(12'002);
  ASSERT_TRUE(RunUntil([&] { return SentCount() == 3; }));
  Answer(500);  // the last attempt of the schedule
  EXPECT_EQ(StatusOf(accepted[0].deliveries[0]), DeliveryStatus::kDead);
  clock_.Advance(3'600'000);
  Settle();
  EXPECT_EQ(SentCount(), 3u);
}

TEST_F(EngineRules, RetryAfterStretchesTheWaitUpToTwiceTheScheduledDelay) {
  StartEngine(Options({10'000, 10'000, 10'000}));
  NewWebhook();
  Emit(1);
  ASSERT_TRUE(RunUntil([&] { return SentCount() == 1; }));
  Answer(429, {{"retry-after", "15"}});
  clock_.Advance(14'999);
  Settle();
  EXPECT_EQ(SentCount(), 1u);  // a plain retry would have gone by 11 s
  clock_.Advance(1);
  ASSERT_TRUE(RunUntil([&] { return SentCount() == 2; }));
  Answer(503, {{"retry-after", "3600"}});  // clamped to 2 × 10 s
  clock_.Advance(19'999);
  Settle();
  EXPECT_EQ(SentCount(), 2u);
  clock_.Advance(1);
  ASSERT_TRUE(RunUntil([&] { return SentCount() == 3; }));
  Answer(500, {{"retry-after", "3600"}});  // not honoured on a 500: the schedule's 9–11 s
  clock_.Advance(11'000);
  ASSERT_TRUE(RunUntil([&] { return SentCount() == 4; }));
}

TEST_F(EngineRules, TheRateLimitSpacesAttemptsAndNothingIsDropped) {
  StartEngine(Options({60'000}));
  NewWebhook(/*rate_limit=*/2);
  Emit(5);
  ASSERT_TRUE(RunUntil([&] { return SentCount() == 1; }));
  // 2/s with a burst of one: one attempt now, then one every 500 ms.
  for (int step = 1; step <= 30; ++step) {
    clock_.Advance(100);
    Settle();
    while (transport_->InFlight() > 0) Answer(200);
    EXPECT_LE(SentCount(), 1u + static_cast<size_t>(step * 100 / 500)) << "at " << step * 100 << " ms";
  }
  EXPECT_EQ(SentCount(), 5u);
  const auto& sent = transport_->sent();
  for (size_t i = 1; i < sent.size(); ++i) EXPECT_GE(sent[i].at_ms - sent[i - 1].at_ms, 500);
}

TEST_F(EngineRules, TheRateLimitHoldsBetweenSendsWhenAnEventIsReadFromTheStoreFirst) {
  NewWebhook(/*rate_limit=*/2);
  Accept(1);  // resumed at start: its event is read on the loader thread before it is sent
  StartEngine(Options({60'000}));
  Emit(1);  // its event is in memory
  // Every turn is 30 ms of the clock, so the read takes some; the gap the receiver sees is what counts.
  for (int turn = 0; turn < 200 && SentCount() < 2; ++turn) {
    engine_->RunTurn(5);
    clock_.Advance(30);
  }
  ASSERT_EQ(SentCount(), 2u);
  const auto& sent = transport_->sent();
  EXPECT_GE(sent[1].at_ms - sent[0].at_ms, 500);
}

TEST_F(EngineRules, AWebhookHasAtMostItsCapOfAttemptsInFlight) {
  StartEngine(Options({60'000}, 3));
  NewWebhook();
  Emit(8);
  ASSERT_TRUE(RunUntil([&] { return SentCount() == 3; }));
  Settle();
  EXPECT_EQ(transport_->InFlight(), 3u);
  Answer(200);
  ASSERT_TRUE(RunUntil([&] { return SentCount() == 4; }));
  Settle();
  EXPECT_EQ(transport_->InFlight(), 3u);
}

// A store that holds outcomes (its batch waits an hour) until the test flushes it.
class SlowOutcomeEngineRules : public EngineRules {
 protected:
  SlowOutcomeEngineRules() { outcome_batch_delay_ = std::chrono::hours(1); }
};

TEST_F(SlowOutcomeEngineRules, NoAttemptStartsWhileItsCapOfOutcomesWaitsForTheStore) {
  EngineOptions options = Options({60'000}, 1);
  options.max_recording = 3;
  StartEngine(options);
  NewWebhook();
  Emit(6);
  // One at a time (the webhook's cap), each answered at once; its outcome then waits in the store's batch.
  auto send_and_answer = [&](size_t sent) {
    clock_.Advance(1'000);  // a token for each
    ASSERT_TRUE(RunUntil([&] { return SentCount() == sent; }));
    transport_->Answer(200);
  };
  for (size_t sent = 1; sent <= 3; ++sent) send_and_answer(sent);
  clock_.Advance(1'000);
  for (int i = 0; i < 50; ++i) engine_->RunTurn(1);
  EXPECT_EQ(SentCount(), 3u);
  EXPECT_NE(metrics_.RenderPrometheus(std::nullopt).find("hookd_deliveries_waiting{stage=\"recording\"} 3\n"),
            std::string::npos);
  store_->Flush();  // the three are durable: three more may start
  for (size_t sent = 4; sent <= 6; ++sent) send_and_answer(sent);
}

TEST_F(EngineRules, TheCircuitOpensAfterItsThresholdThenOneProbeClosesIt) {
  EngineOptions options = Options({1'000'000}, 1);
  options.circuit.threshold = 3;
  options.circuit.cooldown_ms = 30'000;
  options.circuit.disable_after = 0;
  StartEngine(options);
  const std::string webhook = NewWebhook();
  Emit(5);
  for (size_t i = 1; i <= 3; ++i) {
    ASSERT_TRUE(RunUntil([&] { return SentCount() == i; }));
    Answer(500);
  }
  EXPECT_EQ(store_->GetWebhookById(webhook)->circuit, CircuitState::kOpen);
  clock_.Advance(29'999);
  Settle();
  EXPECT_EQ(SentCount(), 3u);  // open: nothing is attempted, nothing is charged
  clock_.Advance(1);
  ASSERT_TRUE(RunUntil([&] { return SentCount() == 4; }));  // the probe
  Settle();
  EXPECT_EQ(SentCount(), 4u);  // one probe at a time
  Answer(200);
  EXPECT_EQ(store_->GetWebhookById(webhook)->circuit, CircuitState::kClosed);
  ASSERT_TRUE(RunUntil([&] { return SentCount() == 5; }));  // the rest flows again
}

TEST_F(EngineRules, AnOrderedWebhookSendsOneAtATimeInCreationOrderEvenAcrossRetries) {
  StartEngine(Options({5'000}));
  NewWebhook(100, /*ordered=*/true);
  auto accepted = Emit(3);
  ASSERT_TRUE(RunUntil([&] { return SentCount() == 1; }));
  Settle();
  EXPECT_EQ(transport_->InFlight(), 1u);
  Answer(500);  // the first fails: the others wait behind its retry
  clock_.Advance(4'000);
  Settle();
  EXPECT_EQ(SentCount(), 1u);
  clock_.Advance(2'000);
  ASSERT_TRUE(RunUntil([&] { return SentCount() == 2; }));
  Answer(200);
  ASSERT_TRUE(RunUntil([&] { return SentCount() == 3; }));
  Answer(200);
  ASSERT_TRUE(RunUntil([&] { return SentCount() == 4; }));
  Answer(200);
  std::vector<std::string> order;
  for (const auto& s : transport_->sent()) order.push_back(HeaderOf(s.request, "webhook-id"));
  EXPECT_EQ(order, (std::vector<std::string>{accepted[0].event.id, accepted[0].event.id, accepted[1].event.id,
                                             accepted[2].event.id}));
}

TEST_F(EngineRules, A410KillsTheDeliveryAndDisablesTheWebhook) {
  StartEngine(Options({1'000}, 1));
  const std::string webhook = NewWebhook();
  auto accepted = Emit(2);
  ASSERT_TRUE(RunUntil([&] { return SentCount() == 1; }));
  Answer(410);
  EXPECT_EQ(StatusOf(accepted[0].deliveries[0]), DeliveryStatus::kDead);
  auto w = store_->GetWebhookById(webhook);
  ASSERT_TRUE(w.has_value());
  EXPECT_FALSE(w->active);
  EXPECT_EQ(w->status, WebhookStatus::kDisabled);
  clock_.Advance(60'000);
  Settle();
  EXPECT_EQ(SentCount(), 1u);  // the second delivery waits for the webhook to be enabled again
  EXPECT_EQ(StatusOf(accepted[1].deliveries[0]), DeliveryStatus::kPending);
}

TEST_F(EngineRules, ConsecutiveDeadDeliveriesDisableTheWebhook) {
  EngineOptions options = Options({}, 1);  // one attempt each
  options.circuit.threshold = 100;
  options.circuit.disable_after = 2;
  StartEngine(options);
  const std::string webhook = NewWebhook();
  Emit(3);
  ASSERT_TRUE(RunUntil([&] { return SentCount() == 1; }));
  Answer(500);
  ASSERT_TRUE(RunUntil([&] { return SentCount() == 2; }));
  Answer(500);
  auto w = store_->GetWebhookById(webhook);
  ASSERT_TRUE(w.has_value());
  EXPECT_EQ(w->status, WebhookStatus::kDisabled);
  EXPECT_NE(w->disabled_reason.find("2 consecutive deliveries"), std::string::npos) << w->disabled_reason;
  Settle();
  EXPECT_EQ(SentCount(), 2u);
}

// ---- sharded (many workers on one PostgreSQL) ----

EngineOptions Sharded(std::vector<int64_t> schedule) {
  EngineOptions options = Options(std::move(schedule));
  options.sharded = true;
  options.attempt_timeout_ms = 30'000;
  return options;
}

class ShardedEngineRules : public EngineRules {
 protected:
  // Holds the webhook's shard, emits one event and runs until its attempt has started.
  std::vector<AcceptedEvent> HoldShardAndSendOne(const std::string& webhook) {
    engine_->SetLeases({HeldShard{ShardOf(webhook), 1, clock_.NowMs() + 45'000}});
    auto accepted = Emit(1);
    Settle();
    clock_.Advance(50);  // a moved webhook's first token is earned, never assumed
    EXPECT_TRUE(RunUntil([&] { return SentCount() == 1; }));
    return accepted;
  }
};

TEST_F(EngineRules, ShardedAnAttemptStartsOnlyWithMoreThanTheAttemptTimeoutOfLeaseLeft) {
  StartEngine(Sharded({10'000}));
  const std::string webhook = NewWebhook();
  const int shard = ShardOf(webhook);
  Emit(1);  // not held yet: another worker's
  Settle();
  EXPECT_EQ(SentCount(), 0u);

  engine_->SetLeases({HeldShard{shard, 7, clock_.NowMs() + 30'000}});  // exactly the timeout left: not enough
  Emit(1);
  Settle();
  EXPECT_EQ(SentCount(), 0u);
  engine_->SetLeases({HeldShard{shard, 7, clock_.NowMs() + 45'000}});  // renewed
  Settle();
  clock_.Advance(50);  // a moved webhook's first token is earned, never assumed
  ASSERT_TRUE(RunUntil([&] { return SentCount() == 1; }));
}

TEST_F(ShardedEngineRules, ALostShardsWaitingDeliveriesAreForgottenAtOnce) {
  StartEngine(Sharded({10'000}));
  const std::string webhook = NewWebhook();
  auto accepted = HoldShardAndSendOne(webhook);
  ASSERT_EQ(SentCount(), 1u);
  Answer(500);  // a retry is scheduled in 9–11 s
  EXPECT_EQ(StatusOf(accepted[0].deliveries[0]), DeliveryStatus::kFailed);
  engine_->SetLeases({});  // the lease lapsed: the next owner resumes the delivery from the store
  Settle();
  clock_.Advance(20'000);
  Settle();
  EXPECT_EQ(SentCount(), 1u);
  EXPECT_EQ(StatusOf(accepted[0].deliveries[0]), DeliveryStatus::kFailed);
}

TEST_F(ShardedEngineRules, AReadBegunBeforeAnOutcomeDoesNotSendTheDeliveryAgain) {
  StartEngine(Sharded({10'000}));
  const std::string webhook = NewWebhook();
  auto accepted = HoldShardAndSendOne(webhook);
  ASSERT_EQ(SentCount(), 1u);
  const Delivery& d = accepted[0].deliveries[0];
  const DueDelivery as_read{d.id, d.webhook_id, d.event_id, 0, d.created_at_ms, d.created_at_ms, nullptr};

  const uint64_t stale = engine_->BeginRead();  // a read that saw the delivery pending ...
  Answer(200);                                  // ... while its attempt succeeded
  engine_->EnqueueRead(stale, {as_read});
  engine_->EndRead(stale);
  Settle();
  EXPECT_EQ(SentCount(), 1u);

  // A read begun after the outcome is taken as it is (here: as if the delivery had been reopened).
  const uint64_t fresh = engine_->BeginRead();
  engine_->EnqueueRead(fresh, {as_read});
  engine_->EndRead(fresh);
  ASSERT_TRUE(RunUntil([&] { return SentCount() == 2; }));
}

}  // namespace
}  // namespace hookd
