// Backup: sqlite3_backup_step(-1) copies every page inside one read transaction, so the copy is one snapshot; the
// copy is then switched out of WAL mode so that it is a single self-contained file. Restore checks before it moves
// anything, and moves the current database aside rather than deleting it.
#include "store/sqlite/backup.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>

#include "crypto/secret_cipher.h"
#include "store/sqlite/database.h"
#include "store/sqlite/master_keys.h"
#include "store/sqlite/migrations.h"

namespace hookd::sqlite {
namespace {

namespace fs = std::filesystem;

// Flushes a file, or a directory's entries, to disk.
Status SyncPath(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Fail(Error::Unavailable("cannot open " + path + ": " + std::strerror(errno)));
  const bool ok = ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) return Fail(Error::Unavailable("cannot sync " + path + ": " + std::strerror(errno)));
  return Ok();
}

std::string DirectoryOf(const std::string& path) {
  const fs::path parent = fs::path(path).parent_path();
  return parent.empty() ? "." : parent.string();
}

// Copies every page of `source` into a new file at `to` (replaced if present), as one snapshot, in rollback-journal
// mode.
Status CopyPages(sqlite3* source, const std::string& to) {
  std::error_code ec;
  fs::remove(to, ec);
  sqlite3* dest = nullptr;
  if (sqlite3_open_v2(to.c_str(), &dest, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK) {
    const std::string message = dest ? sqlite3_errmsg(dest) : "out of memory";
    sqlite3_close(dest);
    return Fail(Error::Unavailable("cannot create " + to + ": " + message));
  }
  sqlite3_backup* backup = sqlite3_backup_init(dest, "main", source, "main");
  int rc = SQLITE_ERROR;
  if (backup) {
    rc = sqlite3_backup_step(backup, -1);
    sqlite3_backup_finish(backup);
  }
  std::string message = sqlite3_errmsg(dest);
  if (rc == SQLITE_DONE && sqlite3_exec(dest, "PRAGMA journal_mode=DELETE", nullptr, nullptr, nullptr) != SQLITE_OK) {
    rc = SQLITE_ERROR;
    message = sqlite3_errmsg(dest);
  }
  sqlite3_close(dest);
  if (rc != SQLITE_DONE) return Fail(Error::Unavailable("backup into " + to + " failed: " + message));
  ::chmod(to.c_str(), 0600);
  return SyncPath(to);
}

int64_t CountRows(Database& db, const char* sql) {
  auto q = db.Prepare(sql);
  return q.Step() ? q.Int(0) : 0;
}

Result<BackupSummary> Summarize(Database& db, const std::string& path) {
  BackupSummary summary;
  {
    auto q = db.Prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'");
    if (!q.Step() || q.Int(0) == 0) return Fail(Error::BadRequest(path + " is not a hookd database"));
  }
  summary.schema_version = static_cast<int>(CountRows(db, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations"));
  if (summary.schema_version > LatestSchemaVersion()) {
    return Fail(Error::BadRequest(path + " was written by a newer hookd (schema " +
                                  std::to_string(summary.schema_version) + ", this binary knows " +
                                  std::to_string(LatestSchemaVersion()) + ")"));
  }
  summary.accounts = CountRows(db, "SELECT count(*) FROM accounts");
  summary.webhooks = CountRows(db, "SELECT count(*) FROM webhooks");
  summary.events = CountRows(db, "SELECT count(*) FROM events");
  summary.deliveries = CountRows(db, "SELECT count(*) FROM deliveries");
  std::error_code ec;
  summary.bytes = static_cast<int64_t>(fs::file_size(path, ec));
  return summary;
}

std::string UtcStamp(int64_t now_ms) {
  const std::time_t seconds = static_cast<std::time_t>(now_ms / 1000);
  std::tm tm{};
  ::gmtime_r(&seconds, &tm);
  char text[32];
  std::strftime(text, sizeof(text), "%Y%m%dT%H%M%SZ", &tm);
  return text;
}

}  // namespace

Result<BackupSummary> BackupDatabase(const std::string& path, const std::string& to) {
  if (!fs::exists(path)) return Fail(Error::NotFound("no database at " + path));
  auto source = Database::Open(path, true);
  if (!source) return Fail(source.error());
  const std::string partial = to + ".partial";
  if (auto copied = CopyPages((*source)->Handle(), partial); !copied) return Fail(copied.error());
  source->reset();
  std::error_code ec;
  fs::rename(partial, to, ec);
  if (ec) return Fail(Error::Unavailable("cannot move " + partial + " to " + to + ": " + ec.message()));
  if (auto synced = SyncPath(DirectoryOf(to)); !synced) return Fail(synced.error());
  auto copy = Database::Open(to, true);
  if (!copy) return Fail(copy.error());
  return Summarize(**copy, to);
}

Result<BackupSummary> CheckBackup(const std::string& copy_path, const std::string& master_key) {
  if (!fs::exists(copy_path)) return Fail(Error::NotFound("no backup at " + copy_path));
  auto copy = Database::Open(copy_path, true);
  if (!copy) return Fail(copy.error());
  Database& db = **copy;
  {
    auto q = db.Prepare("PRAGMA integrity_check");
    const std::string verdict = q.Step() ? q.Text(0) : "no answer";
    if (verdict != "ok") return Fail(Error::BadRequest(copy_path + " is damaged: " + verdict));
  }
  auto summary = Summarize(db, copy_path);
  if (!summary) return Fail(summary.error());
  // A backup taken during a master key rotation opens under either key.
  SecretCipher cipher(master_key);
  auto keys = ReadStoredKeys(db);
  if (!keys) return Fail(keys.error());
  ApplyStoredKeys(cipher, *keys);
  auto q = db.Prepare("SELECT id, secret_enc, previous_secret_enc FROM webhooks");
  while (q.Step()) {
    const bool opens = cipher.Decrypt(q.Text(1)).has_value() && (q.IsNull(2) || cipher.Decrypt(q.Text(2)));
    if (!opens) {
      return Fail(Error::BadRequest("webhook " + q.Text(0) + "'s secret in " + copy_path +
                                    " does not open under this master key: restore with the key the backup was "
                                    "taken under (--master-key, or master.key in --data-dir)"));
    }
  }
  return summary;
}

Result<std::string> InstallBackup(const std::string& copy_path, const std::string& path, int64_t now_ms) {
  const std::string restoring = path + ".restoring";
  std::error_code ec;
  fs::copy_file(copy_path, restoring, fs::copy_options::overwrite_existing, ec);
  if (ec) return Fail(Error::Unavailable("cannot copy " + copy_path + " to " + restoring + ": " + ec.message()));
  ::chmod(restoring.c_str(), 0600);
  if (auto synced = SyncPath(restoring); !synced) return Fail(synced.error());
  std::string aside;
  if (fs::exists(path)) {
    aside = path + ".before-restore-" + UtcStamp(now_ms);
    fs::rename(path, aside, ec);
    if (ec) return Fail(Error::Unavailable("cannot move " + path + " aside: " + ec.message()));
    // The WAL belongs to the file moved aside; the shared-memory index is rebuilt from whichever WAL is present.
    if (fs::exists(path + "-wal")) fs::rename(path + "-wal", aside + "-wal", ec);
    if (ec) return Fail(Error::Unavailable("cannot move " + path + "-wal aside: " + ec.message()));
    fs::remove(path + "-shm", ec);
  }
  fs::rename(restoring, path, ec);
  if (ec) return Fail(Error::Unavailable("cannot move " + restoring + " to " + path + ": " + ec.message()));
  if (auto synced = SyncPath(DirectoryOf(path)); !synced) return Fail(synced.error());
  return aside;
}

}  // namespace hookd::sqlite
