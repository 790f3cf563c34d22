// What the PostgreSQL store's files share: the first row of a result or NotFound, "not found unless a row changed",
// a write announced to every process in its own transaction, lists as array parameters, new deliveries inserted and
// announced in one statement each, and the id bound that lets a time filter use the primary key. Not thread-safe
// beyond the connection each is given.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "domain/model.h"
#include "store/postgres/connection.h"
#include "store/postgres/pool.h"
#include "store/work_distribution.h"

namespace hookd::postgres {

// The first row of `r` through `from_row`, or `NotFound` ("<what> not found") when there is none.
template <class T, class FromRow>
Result<T> FirstRow(const Result<Rows>& r, const char* what, FromRow from_row) {
  if (!r) return Fail(r.error());
  if (r->Count() == 0) return Fail(Error::NotFound(std::string(what) + " not found"));
  return from_row(Row(*r, 0));
}

// `NotFound` ("<what> not found") when the statement changed no row.
[[nodiscard]] Status NotFoundUnlessChanged(const Result<Rows>& r, const char* what);

// Runs `write` and announces `change` in one transaction, so every process drops what it cached once the change
// is committed.
[[nodiscard]] Status WriteAndAnnounce(Pool& pool, const ChangeNotice& change,
                                      const std::function<Status(Connection&)>& write);

[[nodiscard]] std::string TextArray(const std::vector<std::string>& items);
[[nodiscard]] std::string StatusArray(const std::vector<DeliveryStatus>& statuses);

// Announces deliveries that are due now to the workers holding their shards (sent at the commit).
[[nodiscard]] Status AnnounceDue(Connection& conn, const std::string& sender,
                                 const std::vector<const Delivery*>& deliveries);
// Inserts new pending deliveries, all in one statement, and announces them.
[[nodiscard]] Status InsertDeliveries(Connection& conn, const std::string& sender,
                                      const std::vector<const Delivery*>& deliveries, int64_t now_ms);

// A bound below every id of `prefix` created at or after `since_ms`, so a time filter is also a range of the id
// indexes; "" for no bound. An id's time and its row's created_at are read a moment apart, so the bound has a minute
// of slack; the created_at condition stays exact.
[[nodiscard]] std::string IdLowerBound(const char* prefix, std::optional<int64_t> since_ms);

}  // namespace hookd::postgres
