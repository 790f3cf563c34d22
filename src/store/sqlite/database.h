// RAII wrappers over sqlite3 handles: a Database owns one connection and a cache of prepared statements;
// a Statement binds parameters, steps rows and resets itself when released. Not thread-safe: one connection
// belongs to one thread at a time.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/result.h"

namespace hookd::sqlite {

class Statement {
 public:
  explicit Statement(sqlite3_stmt* stmt) : stmt_(stmt) {}
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }

  Statement& Bind(int index, int64_t value);
  Statement& Bind(int index, int value) { return Bind(index, static_cast<int64_t>(value)); }
  Statement& Bind(int index, bool value) { return Bind(index, static_cast<int64_t>(value ? 1 : 0)); }
  Statement& Bind(int index, std::string_view value);  // copied
  // Binds without copying, for hot statements: the bytes must stay valid until this Statement is destroyed.
  Statement& BindView(int index, std::string_view value);
  Statement& Bind(int index, const std::string& value) { return Bind(index, std::string_view(value)); }
  Statement& Bind(int index, const char* value) { return Bind(index, std::string_view(value)); }
  Statement& Bind(int index, std::optional<int64_t> value);
  Statement& BindNull(int index);

  // Advances to the next row; false when done. Errors are reported by `Run()`-style callers via LastError.
  [[nodiscard]] bool Step();
  // Steps to completion; returns an error if the statement failed.
  [[nodiscard]] Status Run();
  [[nodiscard]] bool Failed() const { return failed_; }
  [[nodiscard]] int LastCode() const { return last_code_; }

  [[nodiscard]] int64_t Int(int col) const { return sqlite3_column_int64(stmt_, col); }
  [[nodiscard]] std::string Text(int col) const;
  [[nodiscard]] bool IsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  [[nodiscard]] std::optional<int64_t> OptInt(int col) const {
    return IsNull(col) ? std::nullopt : std::optional<int64_t>(Int(col));
  }
  [[nodiscard]] bool Bool(int col) const { return Int(col) != 0; }
  // Any bytes (SQLite's TEXT keeps them as given).
  [[nodiscard]] std::string Bytes(int col) const { return Text(col); }
  // A list of strings, stored as a JSON array.
  [[nodiscard]] std::vector<std::string> Strings(int col) const;

 private:
  sqlite3_stmt* stmt_;
  bool failed_ = false;
  int last_code_ = SQLITE_OK;
};

// Every remaining row of `q` through `from_row` (a mapper of store/row_mapping.h).
template <class FromRow>
auto AllRows(Statement& q, FromRow from_row) {
  std::vector<decltype(from_row(q))> out;
  while (q.Step()) out.push_back(from_row(q));
  return out;
}

// Binds a statement's parameters from `first` on, one after another, as store/row_mapping.h's field lists give them.
class FieldBinder {
 public:
  explicit FieldBinder(Statement& q, int first = 1) : q_(q), next_(first) {}
  void Text(std::string_view v) { q_.Bind(next_++, v); }
  void Strings(const std::vector<std::string>& v);  // as a JSON array
  void Int(int64_t v) { q_.Bind(next_++, v); }
  void Bool(bool v) { q_.Bind(next_++, v); }
  void Null() { q_.BindNull(next_++); }

 private:
  Statement& q_;
  int next_;
};

// Whether the database at `path` (its directory, the file and its -wal and -shm files) can be written by this
// process; the error names the file and the cause (SQLite's own message names neither).
[[nodiscard]] Status CheckWritable(const std::string& path);

class Database {
 public:
  // Opens (creating if needed) the file at `path` with hookd's pragmas: WAL, synchronous=FULL, foreign keys.
  static Result<std::unique_ptr<Database>> Open(const std::string& path, bool read_only);
  ~Database();

  // Runs one or more statements without results.
  [[nodiscard]] Status Exec(std::string_view sql);
  // A cached prepared statement for `sql`; reset and unbound when the returned Statement is destroyed.
  // `sql` must outlive the database (string literals).
  [[nodiscard]] Statement Prepare(const char* sql);
  [[nodiscard]] int64_t Changes() const { return sqlite3_changes64(db_); }
  [[nodiscard]] std::string LastError() const { return sqlite3_errmsg(db_); }
  // The connection itself, for the APIs this class does not wrap (the online backup).
  [[nodiscard]] sqlite3* Handle() { return db_; }

 private:
  explicit Database(sqlite3* db) : db_(db) {}
  sqlite3* db_;
  std::unordered_map<const char*, sqlite3_stmt*> cache_;
};

}  // namespace hookd::sqlite
