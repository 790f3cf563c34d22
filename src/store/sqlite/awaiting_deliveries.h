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
// jobs (asserted in debug builds).
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/ids.h"
#include "common/result.h"
#include "common/thread_checker.h"
#include "domain/model.h"
#include "store/row_values.h"
#include "store/sqlite/database.h"

namespace hookd::sqlite {

// A delivery's first outcome: its whole row (bind ?1 id, ?2 status, ?3 attempt_count, ?4 next_attempt_at,
// ?5 completed_at, ?6 latency_ms, ?7 last_response_status, ?8 last_response_time_ms, ?9 last_error, ?10 account_id,
// ?11 event_id, ?12 webhook_id, ?13 event_type, ?14 created_at); a later outcome updates ?2–?9 of row ?1.
inline constexpr const char* kInsertDeliveryOutcomeSql =
    "INSERT INTO deliveries(id, account_id, event_id, webhook_id, event_type, status, attempt_count, "
    "next_attempt_at, created_at, completed_at, latency_ms, last_response_status, last_response_time_ms, last_error) "
    "VALUES (?1,?10,?11,?12,?13,?2,?3,?4,?14,?5,?6,?7,?8,?9)";
inline constexpr const char* kUpdateDeliveryOutcomeSql =
    "UPDATE deliveries SET status = ?2, attempt_count = ?3, next_attempt_at = ?4, completed_at = ?5, "
    "latency_ms = ?6, last_response_status = ?7, last_response_time_ms = ?8, last_error = ?9 "
    "WHERE id = ?1 AND completed_at IS NULL";

// Calls `visit(delivery_id, webhook_id)` for each pair of an awaiting row's list.
template <class Visit>
void ForEachAwaitingPair(std::string_view list, Visit&& visit) {
  while (!list.empty()) {
    const size_t a = list.find(' ');
    if (a == std::string_view::npos) return;
    const size_t b = list.find(' ', a + 1);
    visit(list.substr(0, a), list.substr(a + 1, b == std::string_view::npos ? std::string_view::npos : b - a - 1));
    if (b == std::string_view::npos) return;
    list.remove_prefix(b + 1);
  }
}

class AwaitingDeliveries {
 public:
  // Makes `deliveries` (all of one event, not yet written) durable through the awaiting table, and remembers them.
  [[nodiscard]] Status Add(Database& db, const Event& event, const std::vector<Delivery>& deliveries,
                           int64_t accepted_at_ms);

  // Writes a delivery's outcome: the first one inserts its row (and the event's awaiting row goes once it was the
  // last of the event's deliveries to get one); later ones update an unfinished row. The change is counted in
  // `stats`. A delivery with neither a row nor a place in the map (its webhook was deleted) changes nothing.
  // Returns whether the delivery has a row.
  [[nodiscard]] Result<bool> WriteOutcome(Database& db, const OutcomeValues& outcome, StatsDelta& stats);

  // Writes a pending row for every delivery still without one whose event was accepted before `before_ms` (all of
  // them by default).
  [[nodiscard]] Status WriteAwaitingAsPending(Database& db, int64_t before_ms = INT64_MAX);

  // Whether any event still has deliveries without rows.
  [[nodiscard]] Result<bool> AnyAwaiting(Database& db);

  // Work of jobs was undone: the map no longer matches the database.
  void OnRollback();

  // A count of what may have left deliveries without rows (additions, undos). Read it in the job that writes every
  // awaiting row; once that job's group has committed, pass it to WrittenThrough (any thread): until the next
  // addition, MaybeAwaiting is false and readers skip the barrier. Only a committed write may clear it, or a reader
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
    int awaiting = 0;
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
  ThreadChecker writer_thread_;
  bool map_trusted_ = false;          // false at start (a crash may have left awaiting rows) and after an undo
  std::atomic<uint64_t> changes_{1};  // 1: a crash may have left awaiting rows
  std::atomic<uint64_t> written_through_{0};
};

}  // namespace hookd::sqlite
