// Deliveries written once. An accepted event's deliveries are made durable by one row in
// `events_awaiting_deliveries` (the event's id, when it was accepted, and each delivery's id and webhook), committed
// with the event before the `202`. A delivery's own row is written when its first attempt is recorded, already
// carrying that outcome, instead of pending at ingest and updated moments later. Every delivery still without a
// row gets a pending one when it has waited a second (rate limit, open circuit, engine backlog), before any read
// of deliveries (the read barrier), and after a restart, so what readers see and what a crash leaves are the same
// as if each row had been written at ingest.
//
// What lacks a row is known twice: the awaiting table (the truth, durable) and a map in memory (which delivery of
// which event), so a record knows without a query whether to insert or update. When a transaction is undone the
// map may list what the database no longer holds, or miss what it does; it is then rebuilt the safe way: every
// awaiting delivery is written pending (INSERT OR IGNORE) before the map is used again.
//
// Thread-safety: everything but MaybeAwaiting and WrittenThrough runs on the group-commit writer thread, inside its
// jobs.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/ids.h"
#include "common/result.h"
#include "domain/model.h"
#include "store/sqlite/database.h"

namespace hookd::sqlite {

class DeferredDeliveries {
 public:
  // What a delivery's row needs beyond its outcome.
  struct Identity {
    std::string_view account_id;
    std::string_view event_id;
    std::string_view webhook_id;
    std::string_view event_type;
    int64_t created_at_ms = 0;
  };

  // Makes `deliveries` (all of one event, not yet written) durable through the awaiting table, and remembers them.
  [[nodiscard]] Status Defer(Database& db, const Event& event, const std::vector<Delivery>& deliveries,
                             int64_t accepted_at_ms);

  // If `delivery_id` has no row yet, fills `out` (valid until the next call) and returns true; the caller inserts
  // the row and then calls Written.
  [[nodiscard]] Result<bool> Find(Database& db, std::string_view delivery_id, Identity& out);
  // The row of a delivery Find returned has been inserted: forget it, and its event's awaiting row once it was the
  // last.
  [[nodiscard]] Status Written(Database& db, std::string_view delivery_id);

  // Writes a pending row for every delivery still without one whose event was accepted before `before_ms` (all of
  // them by default).
  [[nodiscard]] Status WriteWaiting(Database& db, int64_t before_ms = INT64_MAX);

  // Whether any event still has deliveries without rows.
  [[nodiscard]] Result<bool> AnyAwaiting(Database& db);

  // Work of jobs was undone: the map no longer matches the database.
  void OnRollback();

  // A count of what may have left deliveries without rows (deferrals, undos). Read it in the job that writes every
  // waiting row; once that job's group has committed, pass it to WrittenThrough (any thread): until the next
  // deferral, MaybeAwaiting is false and readers skip the barrier. Only a committed write may clear it, or a reader
  // could skip the barrier while the rows it needs are still uncommitted.
  [[nodiscard]] uint64_t Changes() const { return changes_.load(std::memory_order_acquire); }
  void WrittenThrough(uint64_t changes);
  [[nodiscard]] bool MaybeAwaiting() const {
    return changes_.load(std::memory_order_acquire) != written_through_.load(std::memory_order_acquire);
  }

 private:
  struct AwaitingEvent {
    std::string event_id;
    std::string account_id;
    std::string event_type;
    int64_t accepted_at_ms = 0;
    int unwritten = 0;
  };
  struct AwaitingDelivery {
    UlidKey event = 0;
    std::string webhook_id;
  };

  // Brings the map back in line with the database after an undo (see the header comment).
  [[nodiscard]] Status RepairIfNeeded(Database& db);
  [[nodiscard]] Status WriteRows(Database& db, int64_t before_ms);
  // Drops an event and the deliveries of its awaiting list from the map.
  void Forget(std::string_view event_id, std::string_view list);

  std::unordered_map<UlidKey, AwaitingEvent, UlidKeyHash> events_;         // by event id
  std::unordered_map<UlidKey, AwaitingDelivery, UlidKeyHash> deliveries_;  // by delivery id
  bool map_trusted_ = false;          // false at start (a crash may have left awaiting rows) and after an undo
  std::atomic<uint64_t> changes_{1};  // 1: a crash may have left awaiting rows
  std::atomic<uint64_t> written_through_{0};
};

}  // namespace hookd::sqlite
