// The store conformance suite's fixture: each backend opens a fresh store (SQLite in a temporary directory,
// PostgreSQL in a new database on the private server), and the helpers every case uses. The cases are in
// store_*conformance_test.cc; every one runs on every backend.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <future>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/ids.h"
#include "common/time_util.h"
#include "postgres_server.h"
#include "store/sqlite/database.h"
#include "store/store.h"
#include "store_calls.h"
#include "test_dir.h"

namespace hookd {

struct StoreBackend {
  std::string name;
  // Opens a fresh store; its files, if any, live in `dir`, and `location` is set to what raw_bytes needs.
  std::function<Result<std::unique_ptr<Store>>(const testing::TestDir& dir, std::string& location)> open;
  // Everything the backend has stored, as bytes (the database file and its log, or a dump).
  std::function<std::string(const std::string& location)> raw_bytes;
  // Opens the store at `location` again under master key `key`, as another process (or a restart) would.
  std::function<Result<std::unique_ptr<Store>>(const std::string& location, const std::string& key)> reopen;
  // Takes back the statistics rollup's migration (and those after it), as if the database came from a hookd
  // without it.
  std::function<void(const std::string& location)> drop_stats_rollup;
};

inline std::string FileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

inline const StoreBackend kSqlite{
    "sqlite",
    [](const testing::TestDir& dir, std::string& location) {
      location = dir.File("hookd.db");
      return OpenStore("sqlite:" + location, std::string(32, 'k'));
    },
    [](const std::string& location) { return FileBytes(location) + FileBytes(location + "-wal"); },
    [](const std::string& location, const std::string& key) { return OpenStore("sqlite:" + location, key); },
    [](const std::string& location) {
      auto db = sqlite::Database::Open(location, false);
      ASSERT_TRUE(db.has_value());
      ASSERT_TRUE(
          (*db)->Exec("DROP TABLE delivery_stats; DELETE FROM schema_migrations WHERE version = 4").has_value());
    }};

inline const StoreBackend kPostgres{
    "postgres",
    [](const testing::TestDir&, std::string& location) {
      location = testing::NewPostgresDatabase();
      return OpenStore(location, std::string(32, 'k'), 4);
    },
    [](const std::string& location) { return testing::DumpPostgresDatabase(location); },
    [](const std::string& location, const std::string& key) { return OpenStore(location, key, 4); },
    [](const std::string& location) {
      testing::ExecPostgres(location,
                            "DROP TABLE delivery_stats; DROP FUNCTION hookd_histogram_add; "
                            "DELETE FROM hookd_schema_migrations WHERE version = 6");
    }};

inline constexpr const char* kSecret = "whsec_c3RvcmVjb25mb3JtYW5jZXNlY3JldGtleTAxMjM0NTY3";

class StoreConformance : public ::testing::TestWithParam<StoreBackend> {
 protected:
  void SetUp() override {
    auto opened = GetParam().open(dir_, location_);
    ASSERT_TRUE(opened.has_value()) << opened.error().message;
    store_ = std::move(*opened);
    account_ = NewAccount("acme");
  }
  void TearDown() override { store_.reset(); }

  std::string NewAccount(const std::string& name) {
    Account account{NewId("acc_"), name, "ops@" + name + ".test", NowMs(), NowMs()};
    EXPECT_TRUE(store_->CreateAccount(account, Actor{}).has_value());
    return account.id;
  }

  Result<Webhook> NewWebhook(const std::string& account, std::vector<std::string> events = {"*"},
                             const std::string& environment = "production", bool active = true, int cap = 100) {
    return store_->CreateWebhook(UnsavedWebhook(account, std::move(events), environment, active), cap, Actor{});
  }

  // A webhook of `account`, not yet stored.
  static Webhook UnsavedWebhook(const std::string& account, std::vector<std::string> events = {"*"},
                                const std::string& environment = "production", bool active = true) {
    Webhook w;
    w.id = NewId("wh_");
    w.account_id = account;
    w.url = "https://hooks.example/" + w.id;
    w.events = std::move(events);
    w.environment = environment;
    w.active = active;
    w.status = active ? WebhookStatus::kHealthy : WebhookStatus::kDisabled;
    w.secret = kSecret;
    w.created_at_ms = w.updated_at_ms = NowMs();
    return w;
  }

  Result<std::vector<AcceptedEvent>> Accept(std::vector<NewEvent> events) {
    return testing::AcceptNow(*store_, std::move(events));
  }

  NewEvent Event(const std::string& account, const std::string& type = "task.completed", int64_t created_ms = 0,
                 std::string idempotency_key = "") {
    NewEvent input;
    input.event = hookd::Event{NewId("evt_"), account, type, "production", "{}", "", created_ms ? created_ms : NowMs()};
    input.idempotency_key = std::move(idempotency_key);
    return input;
  }

  // Records attempt `number` of `d`, which leaves it `status` (after `latency_ms`, when it succeeded).
  Status Record(const Delivery& d, DeliveryStatus status, int number = 1, std::optional<int64_t> latency_ms = {}) {
    return testing::RecordNow(*store_, d, status, NowMs(), number, latency_ms);
  }

  // The reason a 410 disables a webhook with (the engine's words).
  static constexpr const char* kGoneReason = "the endpoint answered 410 Gone";
  // Records a 410 answer to the first attempt of `d`: dead, and its webhook disabled.
  Status RecordGone(const Delivery& d) {
    AttemptRecord gone;
    gone.attempt = Attempt{NewId("att_"), d.id, 1, NowMs(), 410, 3, "", "{}", "{}", false, "{}", "", false, false};
    gone.new_status = DeliveryStatus::kDead;
    gone.disable_webhook = true;
    gone.disabled_reason = kGoneReason;
    gone.urgent = true;
    std::promise<Status> done;
    store_->RecordAttemptsAsync({gone}, [&](Status st, auto) { done.set_value(std::move(st)); });
    return done.get_future().get();
  }

  testing::TestDir dir_{"hookd-conformance-"};
  std::string location_;  // the backend's database
  std::unique_ptr<Store> store_;
  std::string account_;
};

}  // namespace hookd
