// hookd's entry point: picks the subcommand and hands over. Wiring lives in cli/.
#include <iostream>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "common/version.h"

namespace {

void PrintUsage() {
  std::cout << "hookd " << hookd::kVersion << " — webhook delivery service\n\n"
            << "Usage:\n"
            << "  hookd serve [flags]                         run the API, UI and delivery engine\n"
            << "  hookd migrate [flags]                       apply schema migrations and exit\n"
            << "  hookd account create --name N [--email E]   create an account and print its API key\n"
            << "  hookd listen --port P --secret whsec_...    a local receiver that verifies signatures\n"
            << "  hookd trigger TYPE [--data JSON]            emit an event through a running hookd's API\n"
            << "  hookd catalog [--markdown]                  the built-in event types with example payloads\n"
            << "  hookd backup --to FILE                      a consistent copy of the live SQLite store\n"
            << "  hookd restore --from FILE                   check a backup and install it (hookd stopped)\n"
            << "  hookd rotate-master-key --new-key-file F    seal every secret under a new master key, live\n"
            << "  hookd rotate-master-key --finish            forget the old key once every process has the new one\n"
            << "  hookd audit verify                          recompute the audit chains; name the first bad record\n"
            << "  hookd version                               print the version\n\n"
            << "Run 'hookd serve --help' for configuration flags.\n";
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "help" || args[0] == "--help" || args[0] == "-h") {
    PrintUsage();
    return args.empty() ? 2 : 0;
  }
  const std::string command = args[0];
  std::vector<std::string> rest(args.begin() + 1, args.end());
  if (command == "serve") return hookd::RunServe(rest);
  if (command == "migrate") return hookd::RunMigrate(rest);
  if (command == "listen") return hookd::RunListen(rest);
  if (command == "trigger") return hookd::RunTrigger(rest);
  if (command == "catalog") return hookd::RunCatalog(rest);
  if (command == "backup") return hookd::RunBackup(rest);
  if (command == "restore") return hookd::RunRestore(rest);
  if (command == "rotate-master-key") return hookd::RunRotateMasterKey(rest);
  if (command == "audit") return hookd::RunAudit(rest);
  if (command == "version" || command == "--version") {
    std::cout << "hookd " << hookd::kVersion << "\n";
    return 0;
  }
  if (command == "account" && !rest.empty() && rest[0] == "create") {
    return hookd::RunAccountCreate(std::vector<std::string>(rest.begin() + 1, rest.end()));
  }
  std::cerr << "hookd: unknown command '" << command << "'\n\n";
  PrintUsage();
  return 2;
}
