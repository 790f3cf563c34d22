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

// What both commands take: the backup file (`flag`), the configuration, and the SQLite file it names; nullopt
// once the reason (a usage line, or PostgreSQL's own tools) is printed.
struct Invocation {
  std::string file;
  Config config;
  std::string database_path;
};
std::optional<Invocation> ReadInvocation(const std::vector<std::string>& args, const char* command, const char* flag,
                                         const char* usage) {
  std::vector<std::string> rest = args;
  const std::optional<std::string> file = TakeFlag(rest, flag);
  if (!file || file->empty()) {
    std::cerr << "usage: " << usage << "\n";
    return std::nullopt;
  }
  auto config = LoadConfig(rest);
  if (!config) return std::nullopt;
  const std::string url = config->DatabaseUrl();
  if (url.rfind("sqlite:", 0) != 0) {
    std::cerr << "hookd: " << command << " works on the SQLite store; back up PostgreSQL with its own tools "
              << "(pg_dump or pg_basebackup, and keep the master key apart: see docs/operations.md)\n";
    return std::nullopt;
  }
  return Invocation{*file, std::move(*config), url.substr(7)};
}

void PrintSummary(const sqlite::BackupSummary& s) {
  std::cout << "schema_version: " << s.schema_version << "\naccounts: " << s.accounts << "\nwebhooks: " << s.webhooks
            << "\nevents: " << s.events << "\ndeliveries: " << s.deliveries << "\nbytes: " << s.bytes << "\n";
}

}  // namespace

int RunBackup(const std::vector<std::string>& args) {
  auto call =
      ReadInvocation(args, "backup", "--to", "hookd backup --to FILE [--data-dir DIR | --database sqlite:PATH]");
  if (!call) return 2;
  auto summary = sqlite::BackupDatabase(call->database_path, call->file);
  if (!summary) {
    std::cerr << "hookd: " << summary.error().message << "\n";
    return 1;
  }
  std::cout << "backup: " << call->file << "\n";
  PrintSummary(*summary);
  return 0;
}

int RunRestore(const std::vector<std::string>& args) {
  auto call = ReadInvocation(args, "restore", "--from",
                             "hookd restore --from FILE [--data-dir DIR | --database sqlite:PATH] [--master-key K]");
  if (!call) return 2;
  const Config& config = call->config;
  const std::string& from = call->file;
  const std::string& path = call->database_path;
  if (config.master_key.empty() && config.master_key_file.empty() &&
      !std::filesystem::exists(config.data_dir + "/master.key")) {
    std::cerr << "hookd: no master key: put the master.key the backup was taken under into " << config.data_dir
              << " (or give --master-key) before restoring\n";
    return 1;
  }
  auto credentials = LoadCredentials(config);
  if (!credentials) {
    std::cerr << "hookd: " << credentials.error().message << "\n";
    return 1;
  }
  auto summary = sqlite::CheckBackup(from, credentials->master_key);
  if (!summary) {
    std::cerr << "hookd: " << summary.error().message << "\nnothing was changed\n";
    return 1;
  }
  auto lock = InstanceLock::Acquire(InstanceLockPath(path));
  if (!lock) {
    std::cerr << "hookd: " << lock.error().message << ": stop it before restoring; nothing was changed\n";
    return 1;
  }
  auto aside = sqlite::InstallBackup(from, path, SystemTime().NowMs());
  if (!aside) {
    std::cerr << "hookd: " << aside.error().message << "\n";
    return 1;
  }
  std::cout << "restored: " << path << "\n";
  if (!aside->empty()) std::cout << "previous database kept at: " << *aside << "\n";
  PrintSummary(*summary);
  return 0;
}

}  // namespace hookd
