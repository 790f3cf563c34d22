// The delivery engine's rules, turn by turn, on the test's thread alone: a clock the test moves, a transport whose
// responses it gives, a store in memory whose reads and writes complete at once (or, held, when the test says),
// so every step is deterministic — no sleeps, no sockets, no files. The retry schedule and its jitter,
// Retry-After, the rate limit, the concurrency caps, the circuit breaker, strict order, deliveries held for the
// ownership handshake, auto-disable and 410; the lease gate and what a lost shard or a stale read may not do; and
// what is kept of a deleted webhook.
#include <gtest/gtest.h>

#include <algorithm>

#include "common/ids.h"
#include "delivery/engine.h"
#include "fakes/fake_clock.h"
#include "fakes/in_memory_engine_store.h"
#include "fakes/inline_task_runner.h"
#include "fakes/scripted_transport.h"
#include "samples.h"
#include "store/local_work_distribution.h"
#include "store/row_values.h"

namespace hookd {
namespace {

using testing::FakeClock;
using testing::InlineTaskRunner;
using testing::InMemoryEngineStore;
using testing::ScriptedTransport;

class RecordingSink final : public DisabledWebhookSink {
 public:
  void WebhookDisabled(const std::string& webhook_id, const std::string& reason) override {
    disabled.emplace_back(webhook_id, reason);
  }
  std::vector<std::pair<std::string, std::string>> disabled;
};

// The engine's options with `schedule` as the retry schedule and at most `per_webhook` attempts in flight per webhook.
EngineOptions Options(std::vector<int64_t> schedule, int per_webhook = 32) {
  EngineOptions options;
  options.retry_schedule_ms = std::move(schedule);
  options.max_in_flight_per_webhook = per_webhook;
  options.attempt_timeout_ms = 30'000;
  return options;
}

class EngineRules : public ::testing::Test {
 protected:
  void SetUp() override { account_ = NewId("acc_"); }

  // Starts the engine holding `leases` (every shard unless given).
  void StartEngine(EngineOptions options, std::optional<std::vector<ShardLease>> leases = std::nullopt) {
    options.random_seed = 42;
    auto transport = std::make_unique<ScriptedTransport>(clock_);
    transport_ = transport.get();
    engine_ = std::make_unique<DeliveryEngine>(store_, sink_, std::move(options), metrics_, std::move(transport),
                                               clock_, std::make_unique<InlineTaskRunner>());
    engine_->StartManual();
    engine_->SetLeases(leases ? *leases : LocalWorkDistribution::EveryShard().held);  // one process on its own
    Settle();
  }

  void TearDown() override {
    if (engine_) {
      engine_->Stop();
      while (engine_->RunTurn(0)) clock_.Advance(60'000);  // past the wait for attempts still in flight
      store_.Flush();  // the last turn's outcomes, whose callbacks reach the engine: before it goes
    }
  }

  std::string NewWebhook(int rate_limit = 100, bool ordered = false) {
    Webhook w = testing::SampleWebhook(account_, clock_.NowMs());
    w.rate_limit = rate_limit;
    w.ordered = ordered;
    store_.PutWebhook(w);
    webhooks_.push_back(w.id);
    return w.id;
  }

  // Accepts `n` events for every webhook and hands their deliveries to the engine, as the API does after the commit.
  std::vector<AcceptedEvent> Emit(int n) {
    auto accepted = Accept(n);
    engine_->Enqueue(accepted);
    return accepted;
  }
  // Accepts `n` events into the store only.
  std::vector<AcceptedEvent> Accept(int n) {
    std::vector<AcceptedEvent> accepted;
    for (int i = 0; i < n; ++i) {
      AcceptedEvent a;
      a.event = Event{NewId("evt_"), account_, "task.completed", "production", "{\"i\":" + std::to_string(i) + "}", "",
                      clock_.NowMs()};
      store_.PutEvent(a.event);
      for (const std::string& webhook : webhooks_) {
        a.deliveries.push_back(NewDelivery(a.event, webhook, clock_.NowMs()));
        store_.PutDelivery(a.deliveries.back());
      }
      a.delivery_count = static_cast<int>(a.deliveries.size());
      accepted.push_back(std::move(a));
    }
    return accepted;
  }

  // Runs turns until `done()` holds.
  template <class Pred>
  bool RunUntil(Pred done, int max_turns = 50) {
    for (int i = 0; i < max_turns; ++i) {
      if (done()) return true;
      engine_->RunTurn(0);
    }
    return done();
  }
  // Runs enough turns for anything already due to happen.
  void Settle() {
    for (int i = 0; i < 10; ++i) engine_->RunTurn(0);
  }

  size_t SentCount() const { return transport_->sent().size(); }
  // Answers the oldest waiting attempt and lets its outcome become durable.
  void Answer(int status, HeaderList headers = {}) {
    transport_->Answer(status, std::move(headers));
    Settle();
  }
  DeliveryStatus StatusOf(const Delivery& d) { return store_.StatusOf(d.id); }

  FakeClock clock_;
  Metrics metrics_;
  InMemoryEngineStore store_;
  RecordingSink sink_;
  std::unique_ptr<DeliveryEngine> engine_;
  ScriptedTransport* transport_ = nullptr;
  std::string account_;
  std::vector<std::string> webhooks_;
};

TEST_F(EngineRules, RetriesFollowTheScheduleWithinItsJitterThenTheDeliveryIsDead) {
  StartEngine(Options({10'000, 60'000}));
  NewWebhook();
  auto accepted = Emit(1);
  ASSERT_TRUE(RunUntil([&] { return SentCount() == 1; }));
  EXPECT_EQ(transport_->HeaderOf(0, "X-Webhook-Attempt"), "1");
  Answer(500);
  clock_.Advance(8'999);  // the earliest retry is at 9 s (10 s − 10 %)
  Settle();
  EXPECT_EQ(SentCount(), 1u);
  clock_.Advance(2'002);  // the latest is at 11 s
  ASSERT_TRUE(RunUntil([&] { return SentCount() == 2; }));
  EXPECT_EQ(transport_->HeaderOf(1, "X-Webhook-Attempt"), "2");
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
  auto resumed = Accept(1);
  StartEngine(Options({60'000}));
  engine_->EnqueueDeliveries(resumed[0].deliveries);  // as after a restart: its event is read before it is sent
  Emit(1);                                            // its event is in memory
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

TEST_F(EngineRules, NoAttemptStartsWhileItsCapOfOutcomesWaitsForTheStore) {
  EngineOptions options = Options({60'000}, 1);
  options.max_recording = 3;
  StartEngine(options);
  store_.HoldRecords(true);  // outcomes wait until the test flushes the store
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
  for (int i = 0; i < 50; ++i) engine_->RunTurn(0);
  EXPECT_EQ(SentCount(), 3u);
  EXPECT_NE(metrics_.RenderPrometheus(std::nullopt).find("hookd_deliveries_waiting{stage=\"recording\"} 3\n"),
            std::string::npos);
  store_.HoldRecords(false);
  store_.Flush();  // the three are durable: three more may start
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
  EXPECT_EQ(store_.webhook(webhook).circuit, CircuitState::kOpen);
  clock_.Advance(29'999);
  Settle();
  EXPECT_EQ(SentCount(), 3u);  // open: nothing is attempted, nothing is charged
  clock_.Advance(1);
  ASSERT_TRUE(RunUntil([&] { return SentCount() == 4; }));  // the probe
  Settle();
  EXPECT_EQ(SentCount(), 4u);  // one probe at a time
  Answer(200);
  EXPECT_EQ(store_.webhook(webhook).circuit, CircuitState::kClosed);
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
  for (size_t i = 0; i < transport_->sent().size(); ++i) order.push_back(transport_->HeaderOf(i, "webhook-id"));
  EXPECT_EQ(order, (std::vector<std::string>{accepted[0].event.id, accepted[0].event.id, accepted[1].event.id,
                                             accepted[2].event.id}));
}

TEST_F(EngineRules, AWebhookAwaitingItsHandshakeHoldsItsDeliveriesThenSendsThemInOrder) {
  StartEngine(Options({5'000}));
  Webhook w = testing::SampleWebhook(account_, clock_.NowMs());
  w.rate_limit = 100;
  w.verification = WebhookVerification::kHandshake;
  store_.PutWebhook(w);
  webhooks_.push_back(w.id);
  auto accepted = Emit(3);
  clock_.Advance(60'000);
  Settle();
  EXPECT_EQ(SentCount(), 0u);  // held, not failed: nothing is attempted
  for (const AcceptedEvent& a : accepted) EXPECT_EQ(StatusOf(a.deliveries[0]), DeliveryStatus::kPending);

  w.verified = true;
  store_.PutWebhook(w);
  engine_->OnWebhookChanged(w.id);
  ASSERT_TRUE(RunUntil([&] { return SentCount() == 1; }));
  Settle();
  EXPECT_EQ(transport_->InFlight(), 1u);  // what was held goes out one at a time
  Answer(200);
  ASSERT_TRUE(RunUntil([&] { return SentCount() == 2; }));
  Answer(200);
  ASSERT_TRUE(RunUntil([&] { return SentCount() == 3; }));
  Answer(200);
  std::vector<std::string> order;
  for (size_t i = 0; i < transport_->sent().size(); ++i) order.push_back(transport_->HeaderOf(i, "webhook-id"));
  EXPECT_EQ(order, (std::vector<std::string>{accepted[0].event.id, accepted[1].event.id, accepted[2].event.id}));

  Emit(2);  // after the backlog, the webhook's own concurrency again
  ASSERT_TRUE(RunUntil([&] { return SentCount() == 5; }));
  EXPECT_EQ(transport_->InFlight(), 2u);
}

TEST_F(EngineRules, A410KillsTheDeliveryAndDisablesTheWebhook) {
  StartEngine(Options({1'000}, 1));
  const std::string webhook = NewWebhook();
  auto accepted = Emit(2);
  ASSERT_TRUE(RunUntil([&] { return SentCount() == 1; }));
  Answer(410);
  EXPECT_EQ(StatusOf(accepted[0].deliveries[0]), DeliveryStatus::kDead);
  auto w = store_.GetWebhookById(webhook);
  ASSERT_TRUE(w.has_value());
  EXPECT_FALSE(w->active);
  EXPECT_EQ(w->status, WebhookStatus::kDisabled);
  clock_.Advance(60'000);
  Settle();
  EXPECT_EQ(SentCount(), 1u);  // the second delivery waits for the webhook to be enabled again
  EXPECT_EQ(StatusOf(accepted[1].deliveries[0]), DeliveryStatus::kPending);
  ASSERT_EQ(sink_.disabled.size(), 1u);  // the account is told, once the disable is durable
  EXPECT_EQ(sink_.disabled[0].first, webhook);
}

TEST_F(EngineRules, ADeletedWebhooksStateGoesOnceItsLastAttemptIsRecorded) {
  StartEngine(Options({10'000}, 1));
  const std::string kept = NewWebhook();
  const std::string deleted = NewWebhook();
  Emit(2);  // two deliveries each: one in flight per webhook, one waiting
  ASSERT_TRUE(RunUntil([&] { return SentCount() == 2; }));
  EXPECT_EQ(engine_->WebhooksTracked(), 2u);
  store_.RemoveWebhook(deleted);
  engine_->OnWebhookChanged(deleted);
  Settle();
  EXPECT_EQ(engine_->WebhooksTracked(), 2u);  // its attempt is still in flight
  Answer(200);
  Answer(200);                                              // both attempts that were in flight
  EXPECT_EQ(engine_->WebhooksTracked(), 1u);                // its waiting delivery went with it, and so did its state
  ASSERT_TRUE(RunUntil([&] { return SentCount() == 3; }));  // the other webhook's goes on
  EXPECT_EQ(transport_->sent().back().request.url, "https://receiver.example/hooks");
  Answer(200);
  engine_->OnWebhookChanged(deleted);  // a late notice of the deletion finds nothing to keep
  Settle();
  EXPECT_EQ(engine_->WebhooksTracked(), 1u);
  EXPECT_EQ(store_.webhook(kept).status, WebhookStatus::kHealthy);
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
  auto w = store_.GetWebhookById(webhook);
  ASSERT_TRUE(w.has_value());
  EXPECT_EQ(w->status, WebhookStatus::kDisabled);
  EXPECT_NE(w->disabled_reason.find("2 consecutive deliveries"), std::string::npos) << w->disabled_reason;
  Settle();
  EXPECT_EQ(SentCount(), 2u);
}

// ---- shard leases (many processes on one PostgreSQL) ----

class ShardedEngineRules : public EngineRules {
 protected:
  // A lease of `shard` under `epoch`, taken over from another process, with `left_ms` to run.
  ShardLease Lease(int shard, int64_t epoch, int64_t left_ms) {
    return ShardLease{shard, epoch, clock_.SteadyMs() + left_ms, true};
  }
  // Holds the webhook's shard, emits one event and runs until its attempt has started.
  std::vector<AcceptedEvent> HoldShardAndSendOne(const std::string& webhook) {
    engine_->SetLeases({Lease(ShardOf(webhook), 1, 45'000)});
    auto accepted = Emit(1);
    Settle();
    clock_.Advance(50);  // a moved webhook's first token is earned, never assumed
    EXPECT_TRUE(RunUntil([&] { return SentCount() == 1; }));
    return accepted;
  }
};

TEST_F(ShardedEngineRules, AnAttemptStartsOnlyWithMoreThanTheAttemptTimeoutOfLeaseLeft) {
  StartEngine(Options({10'000}), std::vector<ShardLease>{});
  const std::string webhook = NewWebhook();
  const int shard = ShardOf(webhook);
  Emit(1);  // not held yet: another worker's
  Settle();
  EXPECT_EQ(SentCount(), 0u);

  engine_->SetLeases({Lease(shard, 7, 30'000)});  // exactly the timeout left: not enough
  Emit(1);
  Settle();
  EXPECT_EQ(SentCount(), 0u);
  engine_->SetLeases({Lease(shard, 7, 45'000)});  // renewed
  Settle();
  clock_.Advance(50);  // a moved webhook's first token is earned, never assumed
  ASSERT_TRUE(RunUntil([&] { return SentCount() == 1; }));
}

TEST_F(ShardedEngineRules, AnOutcomeCarriesTheEpochItsAttemptStartedUnder) {
  StartEngine(Options({10'000}), std::vector<ShardLease>{});
  const std::string webhook = NewWebhook();
  HoldShardAndSendOne(webhook);
  engine_->SetLeases({Lease(ShardOf(webhook), 2, 45'000)});  // taken again meanwhile, under a new epoch
  Settle();
  Answer(200);
  ASSERT_EQ(store_.records().size(), 1u);
  EXPECT_EQ(store_.records()[0].shard, ShardOf(webhook));
  EXPECT_EQ(store_.records()[0].lease_epoch, 1);  // the store refuses it: the new owner resumes the delivery
}

TEST_F(ShardedEngineRules, ALostShardsWaitingDeliveriesAreForgottenAtOnce) {
  StartEngine(Options({10'000}), std::vector<ShardLease>{});
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
  StartEngine(Options({10'000}), std::vector<ShardLease>{});
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
