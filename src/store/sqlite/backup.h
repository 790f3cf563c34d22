// Backups of a SQLite store (SPEC §2 `hookd backup`, `hookd restore`): a consistent copy of the live database taken
// with SQLite's online backup API, a check that a copy is a whole hookd database whose secrets open under the
// master key in use, and its installation in place of the current file. The master key is not in the copy: it is
// kept (and backed up) apart from the data it protects.
#pragma once

#include <cstdint>
#include <string>

#include "common/result.h"

namespace hookd::sqlite {

// What a copy holds, for the operator to compare with what they expect.
struct BackupSummary {
  int schema_version = 0;
  int64_t accounts = 0;
  int64_t webhooks = 0;
  int64_t events = 0;
  int64_t deliveries = 0;
  int64_t bytes = 0;
};

// Copies the database at `path`, which a running hookd may be writing, into `to`: one snapshot (a read transaction,
// which in WAL mode does not hold up the writer), written beside `to`, synced and renamed into place (mode 0600).
[[nodiscard]] Result<BackupSummary> BackupDatabase(const std::string& path, const std::string& to);

// Checks `copy`: SQLite's integrity check passes, it is a hookd database no newer than this binary, and every
// webhook secret in it opens under `master_key` (32 bytes).
[[nodiscard]] Result<BackupSummary> CheckBackup(const std::string& copy, const std::string& master_key);

// Installs `copy` as the database at `path`, which no process may have open: the current file and its WAL move aside
// to `path`.before-restore-<UTC time>[-wal], returned. The copy itself is left where it is.
[[nodiscard]] Result<std::string> InstallBackup(const std::string& copy, const std::string& path, int64_t now_ms);

}  // namespace hookd::sqlite
