// RAII wrappers over libpq: a Connection owns one PGconn and prepares each statement once; Rows owns a result;
// Params and ArrayParam build text-format parameters (an ArrayParam is one `text[]`/`bigint[]` literal, so a
// batch of rows travels as a handful of arrays for `unnest`). Errors are classified once, here: a lost or refused
// connection and a serialization failure are `Unavailable` (the API answers 503 with Retry-After; the caller may
// try again), a unique violation is `Conflict`, anything else `Internal`. Not thread-safe: one connection belongs to
// one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/result.h"

struct pg_conn;
struct pg_result;

namespace hookd::postgres {

// Text-format statement parameters, $1, $2, … in the order added.
class Params {
 public:
  Params& Add(std::string_view value);
  Params& Add(const char* value) { return Add(std::string_view(value)); }
  Params& Add(const std::string& value) { return Add(std::string_view(value)); }
  Params& Add(int64_t value);
  Params& Add(int value) { return Add(static_cast<int64_t>(value)); }
  Params& Add(bool value);
  Params& Add(std::optional<int64_t> value);
  Params& AddNull();
  // NULL when `value` is empty.
  Params& AddOrNull(std::string_view value);

  [[nodiscard]] int Count() const { return static_cast<int>(values_.size()); }
  [[nodiscard]] const char* Value(int i) const {
    return null_[static_cast<size_t>(i)] ? nullptr : values_[static_cast<size_t>(i)].c_str();
  }

 private:
  std::vector<std::string> values_;
  std::vector<bool> null_;
};

// Appends parameters one after another, as store/row_mapping.h's field lists give them.
class FieldBinder {
 public:
  explicit FieldBinder(Params& p) : p_(p) {}
  void Text(std::string_view v) { p_.Add(v); }
  void Strings(const std::vector<std::string>& v);  // as a text[]
  void Int(int64_t v) { p_.Add(v); }
  void Bool(bool v) { p_.Add(v); }
  void Null() { p_.AddNull(); }

 private:
  Params& p_;
};

// One array literal ('{"a","b",NULL}'), element by element; Take() hands it to Params::Add.
class ArrayParam {
 public:
  ArrayParam& Add(std::string_view value);
  ArrayParam& Add(int64_t value);
  ArrayParam& Add(std::optional<int64_t> value);
  ArrayParam& AddNull();
  ArrayParam& AddOrNull(std::string_view value);  // NULL when empty
  // Bytes of any value (a receiver's body), hex-encoded: the SQL decodes them with decode(x, 'hex').
  ArrayParam& AddHex(std::string_view bytes);
  [[nodiscard]] std::string Take();

 private:
  void Separate();
  std::string text_ = "{";
};

// The rows of one statement.
class Rows {
 public:
  explicit Rows(pg_result* result) : result_(result, &Release) {}

  [[nodiscard]] int Count() const;
  [[nodiscard]] int64_t Affected() const;  // rows an INSERT/UPDATE/DELETE changed
  [[nodiscard]] bool IsNull(int row, int col) const;
  [[nodiscard]] std::string Text(int row, int col) const;  // "" for NULL
  [[nodiscard]] int64_t Int(int row, int col) const;
  [[nodiscard]] std::optional<int64_t> OptInt(int row, int col) const;
  [[nodiscard]] bool Bool(int row, int col) const;
  [[nodiscard]] std::string Bytes(int row, int col) const;  // a bytea column, decoded
  // A text[] column as its elements.
  [[nodiscard]] std::vector<std::string> TextArray(int row, int col) const;

 private:
  static void Release(pg_result* result);
  std::unique_ptr<pg_result, void (*)(pg_result*)> result_;
};

// One row of Rows, read by column as sqlite::Statement reads its current row (store/row_mapping.h maps either).
class Row {
 public:
  Row(const Rows& rows, int row) : rows_(rows), row_(row) {}
  [[nodiscard]] std::string Text(int col) const { return rows_.Text(row_, col); }
  [[nodiscard]] int64_t Int(int col) const { return rows_.Int(row_, col); }
  [[nodiscard]] std::optional<int64_t> OptInt(int col) const { return rows_.OptInt(row_, col); }
  [[nodiscard]] bool IsNull(int col) const { return rows_.IsNull(row_, col); }
  [[nodiscard]] bool Bool(int col) const { return rows_.Bool(row_, col); }
  [[nodiscard]] std::string Bytes(int col) const { return rows_.Bytes(row_, col); }
  [[nodiscard]] std::vector<std::string> Strings(int col) const { return rows_.TextArray(row_, col); }

 private:
  const Rows& rows_;
  int row_;
};

// Every row of `rows` through `from_row` (a mapper of store/row_mapping.h).
template <class FromRow>
auto AllRows(const Rows& rows, FromRow from_row) {
  std::vector<decltype(from_row(std::declval<Row>()))> out;
  out.reserve(static_cast<size_t>(rows.Count()));
  for (int i = 0; i < rows.Count(); ++i) out.push_back(from_row(Row(rows, i)));
  return out;
}

// One message of LISTEN/NOTIFY.
struct Notification {
  std::string channel;
  std::string payload;
};

// How long the server lets a session sit idle inside a transaction before it ends it (and its locks).
inline constexpr int kIdleInTransactionTimeoutMs = 2000;

class Connection {
 public:
  // Connects to `url` (a libpq URI or key=value string, TLS settings included). A connect timeout of 5 s applies
  // unless the URL sets one. The error never repeats the URL (it may hold a password).
  // Behind a transaction-mode pooler (`transaction_pooling`) nothing may outlast a transaction: statements go
  // unprepared (one round trip each, as prepared ones) and settings are made again in every transaction.
  static Result<std::unique_ptr<Connection>> Open(const std::string& url, bool transaction_pooling = false);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs one statement. `sql` must outlive the connection (a string literal): it is prepared on first use and
  // its prepared statement reused after that (behind a transaction-mode pooler, each run is parsed anew).
  [[nodiscard]] Result<Rows> Exec(const char* sql, const Params& params = {});
  // Runs a statement once, unprepared (DDL, dynamic text).
  [[nodiscard]] Status ExecOnce(const std::string& sql);
  // The same, keeping what it returned.
  [[nodiscard]] Result<Rows> QueryOnce(const std::string& sql);

  // Sets a run-time parameter for what this connection runs: for the session, or behind a transaction-mode
  // pooler for each transaction it begins from now on (statements outside a transaction run without it).
  [[nodiscard]] Status Set(const std::string& name, const std::string& value);

  // Runs `fn(*this)` between BEGIN and COMMIT; rolls back when it fails. The COMMIT's own failure is returned.
  template <class Fn>
  [[nodiscard]] Status Transaction(Fn&& fn) {
    if (auto st = ExecOnce(begin_); !st) return st;
    Status st = fn(*this);
    if (!st) {
      (void)ExecOnce("ROLLBACK");
      return st;
    }
    return ExecOnce("COMMIT");
  }

  // Waits up to `timeout_ms` for notifications on the channels this connection LISTENs to and returns those that
  // arrived (possibly none). `Unavailable` once the connection is lost: notifications sent meanwhile are gone.
  [[nodiscard]] Result<std::vector<Notification>> WaitForNotifications(int timeout_ms);

  // False once the server closed the connection or it failed; reads what the server sent while it was idle, so a
  // connection the server terminated is noticed before it is used.
  [[nodiscard]] bool Healthy();

 private:
  Connection(pg_conn* conn, bool transaction_pooling) : conn_(conn), transaction_pooling_(transaction_pooling) {}
  [[nodiscard]] Error ErrorOf(pg_result* result) const;
  // The rows of a statement's result, or its error (and the result freed).
  [[nodiscard]] Result<Rows> Finish(pg_result* result);

  pg_conn* conn_;
  const bool transaction_pooling_;
  std::string begin_ = "BEGIN";  // with the SET LOCALs of Set() behind a transaction-mode pooler
  std::unordered_map<const char*, std::string> prepared_;  // statement text (by address) -> prepared name
};

// Whether an error means the database could not be reached (the caller may try again later).
[[nodiscard]] bool IsUnavailable(const Error& error);

}  // namespace hookd::postgres
