// Statement cache keyed by the SQL literal's address: each query text is compiled once per connection.
#include "store/sqlite/database.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <string>

#include "common/json.h"
#include "domain/latency_histogram.h"

namespace hookd::sqlite {
namespace {

// Process-wide SQLite settings, applied once before the first connection opens. Memory statistics are off: with
// them on, every allocation SQLite makes takes a global mutex to count it, and nothing here reads the counts.
void ConfigureSqliteOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    // SQLITE_MISUSE when SQLite was already initialized (by another user in this process): keep its settings.
    (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  });
}

// Why `path` cannot be written, in words an operator can act on, or "" when it can (or does not exist yet).
std::string WhyNotWritable(const std::string& path, bool is_directory) {
  if (access(path.c_str(), W_OK | (is_directory ? X_OK : R_OK)) == 0) return "";
  const int error = errno;
  const std::string what = (is_directory ? "the directory " : "") + path;
  switch (error) {
    case ENOENT:
      return is_directory ? what + " does not exist" : "";
    case EROFS:
      return what + " is on a read-only file system";
    case EACCES:
    case EPERM:
      return what + " is not writable by this user (uid " + std::to_string(geteuid()) + "): permission denied";
    default:
      return what + ": " + std::strerror(error);
  }
}

}  // namespace

// SQLite reports a database it cannot write as "unable to open database file" or "attempt to write a readonly
// database", naming neither the file nor the cause: check the file, its WAL files and its directory first.
Status CheckWritable(const std::string& path) {
  const size_t slash = path.rfind('/');
  const std::string directory = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  std::string why = WhyNotWritable(directory, true);
  for (const char* suffix : {"", "-wal", "-shm"}) {
    if (why.empty()) why = WhyNotWritable(path + suffix, false);
  }
  if (why.empty()) return Ok();
  return Fail(Error::Unavailable("cannot open the database " + path + " for writing: " + why +
                                 " (hookd writes the database and its -wal and -shm files beside it)"));
}

Statement& Statement::Bind(int index, int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}

Statement& Statement::Bind(int index, std::string_view value) {
  sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  return *this;
}

Statement& Statement::BindView(int index, std::string_view value) {
  sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_STATIC, SQLITE_UTF8);
  return *this;
}

Statement& Statement::Bind(int index, std::optional<int64_t> value) {
  return value ? Bind(index, *value) : BindNull(index);
}

Statement& Statement::BindNull(int index) {
  sqlite3_bind_null(stmt_, index);
  return *this;
}

bool Statement::Step() {
  last_code_ = sqlite3_step(stmt_);
  if (last_code_ == SQLITE_ROW) return true;
  if (last_code_ != SQLITE_DONE) failed_ = true;
  return false;
}

Status Statement::Run() {
  while (Step()) {
  }
  if (failed_) {
    return Fail(Error::Internal(std::string("database error: ") + sqlite3_errmsg(sqlite3_db_handle(stmt_))));
  }
  return Ok();
}

std::string Statement::Text(int col) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
  return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(stmt_, col))) : std::string();
}

std::vector<std::string> Statement::Strings(int col) const {
  std::vector<std::string> out;
  json::value v = ParseJsonOrNull(Text(col));
  if (v.is_array()) {
    for (const auto& item : v.as_array()) {
      if (item.is_string()) out.emplace_back(item.as_string());
    }
  }
  return out;
}

void FieldBinder::Strings(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& item : v) a.emplace_back(item);
  q_.Bind(next_++, SerializeJson(a));
}

namespace {

// hookd_histogram_add(a, b): the sum of two stored latency histograms (domain/latency_histogram.h), so a rollup
// upsert merges its histogram in the same statement as its counts.
void HistogramAdd(sqlite3_context* ctx, int, sqlite3_value** argv) {
  auto text = [](sqlite3_value* v) {
    const auto* p = reinterpret_cast<const char*>(sqlite3_value_text(v));
    return std::string_view(p ? p : "", static_cast<size_t>(sqlite3_value_bytes(v)));
  };
  const std::string_view a = text(argv[0]), b = text(argv[1]);
  if (b == "{}" || b.empty()) return sqlite3_result_value(ctx, argv[0]);
  if (a == "{}" || a.empty()) return sqlite3_result_value(ctx, argv[1]);
  auto sum = LatencyHistogram::Decode(a), other = LatencyHistogram::Decode(b);
  if (!sum || !other) return sqlite3_result_error(ctx, "not a latency histogram", -1);
  sum->Merge(*other);
  const std::string out = sum->Encode();
  sqlite3_result_text(ctx, out.data(), static_cast<int>(out.size()), SQLITE_TRANSIENT);
}

}  // namespace

Result<std::unique_ptr<Database>> Database::Open(const std::string& path, bool read_only) {
  ConfigureSqliteOnce();
  if (!read_only) {
    if (auto writable = CheckWritable(path); !writable) return Fail(writable.error());
  }
  sqlite3* raw = nullptr;
  const int flags =
      (read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) | SQLITE_OPEN_NOMUTEX;
  if (sqlite3_open_v2(path.c_str(), &raw, flags, nullptr) != SQLITE_OK) {
    std::string message = raw ? sqlite3_errmsg(raw) : "out of memory";
    if (raw && sqlite3_system_errno(raw) != 0)
      message += std::string(" (") + std::strerror(sqlite3_system_errno(raw)) + ")";
    sqlite3_close(raw);
    return Fail(Error::Unavailable("cannot open database " + path + ": " + message));
  }
  std::unique_ptr<Database> db(new Database(raw));
  sqlite3_busy_timeout(raw, 10'000);
  sqlite3_create_function_v2(raw, "hookd_histogram_add", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC, nullptr, HistogramAdd,
                             nullptr, nullptr, nullptr);
  // 16 KiB pages (for a new database; an existing one keeps its size): a group commit appends to the same few
  // B-tree leaves, and bigger leaves mean fewer pages written to the WAL and copied back by the checkpointer per
  // delivery.
  const char* pragmas = read_only ? "PRAGMA foreign_keys=ON; PRAGMA cache_size=-16000;"
                                  : "PRAGMA page_size=16384; PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
                                    "PRAGMA foreign_keys=ON; PRAGMA cache_size=-64000;";
  if (auto st = db->Exec(pragmas); !st) return Fail(st.error());
  return db;
}

Database::~Database() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  sqlite3_close(db_);
}

Status Database::Exec(std::string_view sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, std::string(sql).c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string message = err ? err : "unknown error";
    sqlite3_free(err);
    return Fail(Error::Internal("database error: " + message));
  }
  return Ok();
}

Statement Database::Prepare(const char* sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) != SQLITE_OK) {
      // A query that does not compile is a programming error, caught by every test that touches it.
      throw std::logic_error(std::string("SQL does not compile: ") + sqlite3_errmsg(db_) + " in: " + sql);
    }
    it = cache_.emplace(sql, stmt).first;
  }
  return Statement(it->second);
}

}  // namespace hookd::sqlite
