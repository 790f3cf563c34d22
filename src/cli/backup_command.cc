// `hookd backup --to FILE` and `hookd restore --from FILE` (SPEC §2) for the SQLite store. A backup may be taken
// while hookd serves; a restore checks the copy first, then needs the database to itself. PostgreSQL has its own
// tools (pg_dump, pg_basebackup; docs/operations.md).
#include <filesystem>
#include <iostream>

#include "cli/commands.h"
#include "cli/configured_store.h"
#include "cli/instance_lock.h"
#include "common/clock.h"
#include "store/sqlite/backup.h"

namespace hookd {
namespace {

// The SQLite file `config` names, or nullopt once the reason is printed.
std::optional<std::string> SqlitePath(const Config& config, const char* command) {
  const std::string url = config.DatabaseUrl();
  if (url.rfind("sqlite:", 0) != 0) {
    std::cerr << "hookd: " << command << " works on the SQLite store; back up PostgreSQL with its own tools "
              << "(pg_dump or pg_basebackup, and keep the master key apart: see docs/operations.md)\n";
    return std::nullopt;
  }
  return url.substr(7);
}

void PrintSummary(const sqlite::BackupSummary& s) {
  std::cout << "schema_version: " << s.schema_version << "\naccounts: " << s.accounts << "\nwebhooks: " << s.webhooks
            << "\nevents: " << s.events << "\ndeliveries: " << s.deliveries << "\nbytes: " << s.bytes << "\n";
}

}  // namespace

int RunBackup(const std::vector<std::string>& args) {
  std::vector<std::string> rest = args;
  const std::optional<std::string> to = TakeFlag(rest, "--to");
  if (!to || to->empty()) {
    std::cerr << "usage: hookd backup --to FILE [--data-dir DIR | --database sqlite:PATH]\n";
    return 2;
  }
  auto config = LoadConfig(rest);
  if (!config) return 2;
  auto path = SqlitePath(*config, "backup");
  if (!path) return 2;
  auto summary = sqlite::BackupDatabase(*path, *to);
  if (!summary) {
    std::cerr << "hookd: " << summary.error().message << "\n";
    return 1;
  }
  std::cout << "backup: " << *to << "\n";
  PrintSummary(*summary);
  return 0;
}

int RunRestore(const std::vector<std::string>& args) {
  std::vector<std::string> rest = args;
  const std::optional<std::string> from = TakeFlag(rest, "--from");
  if (!from || from->empty()) {
    std::cerr << "usage: hookd restore --from FILE [--data-dir DIR | --database sqlite:PATH] [--master-key K]\n";
    return 2;
  }
  auto config = LoadConfig(rest);
  if (!config) return 2;
  auto path = SqlitePath(*config, "restore");
  if (!path) return 2;
  if (config->master_key.empty() && config->master_key_file.empty() &&
      !std::filesystem::exists(config->data_dir + "/master.key")) {
    std::cerr << "hookd: no master key: put the master.key the backup was taken under into " << config->data_dir
              << " (or give --master-key) before restoring\n";
    return 1;
  }
  auto credentials = LoadCredentials(*config);
  if (!credentials) {
    std::cerr << "hookd: " << credentials.error().message << "\n";
    return 1;
  }
  auto summary = sqlite::CheckBackup(*from, credentials->master_key);
  if (!summary) {
    std::cerr << "hookd: " << summary.error().message << "\nnothing was changed\n";
    return 1;
  }
  auto lock = InstanceLock::Acquire(InstanceLockPath(*path));
  if (!lock) {
    std::cerr << "hookd: " << lock.error().message << ": stop it before restoring; nothing was changed\n";
    return 1;
  }
  auto aside = sqlite::InstallBackup(*from, *path, SystemTime().NowMs());
  if (!aside) {
    std::cerr << "hookd: " << aside.error().message << "\n";
    return 1;
  }
  std::cout << "restored: " << *path << "\n";
  if (!aside->empty()) std::cout << "previous database kept at: " << *aside << "\n";
  PrintSummary(*summary);
  return 0;
}

}  // namespace hookd
